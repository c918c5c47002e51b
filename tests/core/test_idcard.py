"""GB 11643-1999 citizen ID numbers: check digit, birth date, sex."""

from __future__ import annotations

import datetime as dt

import pytest

from gongzhi.core import idcard

# A well-known published sample: 11010519491231002X (Beijing Chaoyang, born 1949-12-31, female, check digit X).
SAMPLE_X = "11010519491231002X"
SAMPLE = idcard.make("530181", dt.date(1985, 7, 23), 123)


class TestCheckDigit:
    def test_weights_give_the_published_check_digit(self) -> None:
        assert idcard.check_digit(SAMPLE_X[:17]) == "X"

    def test_make_appends_the_check_digit(self) -> None:
        assert SAMPLE[:17] == "53018119850723123"
        assert SAMPLE[17] == idcard.check_digit(SAMPLE[:17])


class TestValidate:
    def test_good_number_is_valid(self) -> None:
        assert idcard.validate(SAMPLE) is None
        assert idcard.validate(SAMPLE_X) is None

    def test_lowercase_x_is_accepted(self) -> None:
        assert idcard.validate(SAMPLE_X.lower()) is None

    def test_surrounding_spaces_are_ignored(self) -> None:
        assert idcard.validate(f"  {SAMPLE} ") is None

    def test_wrong_check_digit_is_refused(self) -> None:
        wrong = SAMPLE[:17] + ("0" if SAMPLE[17] != "0" else "1")
        assert idcard.validate(wrong) == "身份证号校验码错误（GB 11643）"

    @pytest.mark.parametrize("birth", ["19850230", "19851301", "19850000", "18800101"])
    def test_impossible_or_too_old_birth_date_is_refused(self, birth: str) -> None:
        body = "530181" + birth + "123"
        assert idcard.validate(body + idcard.check_digit(body)) == "身份证号中的出生日期无效"

    def test_birth_date_in_the_future_is_refused(self) -> None:
        future = dt.date.today() + dt.timedelta(days=400)
        body = f"530181{future:%Y%m%d}123"
        assert idcard.validate(body + idcard.check_digit(body)) == "身份证号中的出生日期无效"

    @pytest.mark.parametrize("value", ["", "5301811985072312", "5301811985072312345", "53018119850723123Y",
                                       "5301811985O723123X"])
    def test_wrong_shape_is_refused(self, value: str) -> None:
        assert idcard.validate(value) == "身份证号应为18位，前17位为数字，末位为数字或X"


class TestBirthDateAndGender:
    def test_birth_date_comes_from_digits_7_to_14(self) -> None:
        assert idcard.birth_date(SAMPLE) == dt.date(1985, 7, 23)
        assert idcard.birth_date(SAMPLE_X) == dt.date(1949, 12, 31)

    def test_odd_17th_digit_is_male_even_is_female(self) -> None:
        assert idcard.gender(idcard.make("530181", dt.date(1990, 1, 1), 131)) == "男"
        assert idcard.gender(idcard.make("530181", dt.date(1990, 1, 1), 132)) == "女"
        assert idcard.gender(SAMPLE_X) == "女"
