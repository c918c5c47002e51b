"""Personal data at rest: AES-256-GCM, the keyed blind index, and the masks lists show."""

from __future__ import annotations

import pytest
from cryptography.exceptions import InvalidTag

from gongzhi.core import crypto

ID_NUMBER = "530181198507231234"
PHONE = "13812345678"


class TestMasks:
    def test_id_number_shows_region_and_last_four(self) -> None:
        assert crypto.mask_id_number(ID_NUMBER) == "5301**********1234"

    def test_id_number_mask_normalises_lowercase_x(self) -> None:
        assert crypto.mask_id_number("53018119850723123x") == "5301**********123X"

    def test_phone_shows_first_three_and_last_four(self) -> None:
        assert crypto.mask_phone(PHONE) == "138****5678"

    def test_landline_with_dash_is_masked_without_the_dash(self) -> None:
        assert crypto.mask_phone("0871-68123456") == "087*****3456"

    def test_short_values_are_fully_hidden(self) -> None:
        assert crypto.mask_phone("12345") == "*****"


class TestEncryption:
    def test_round_trip(self) -> None:
        assert crypto.decrypt(crypto.encrypt(ID_NUMBER)) == ID_NUMBER

    def test_ciphertexts_differ_for_the_same_value(self) -> None:
        a, b = crypto.encrypt(ID_NUMBER), crypto.encrypt(ID_NUMBER)
        assert a != b
        assert a[: crypto.NONCE] != b[: crypto.NONCE]

    def test_ciphertext_does_not_contain_the_value(self) -> None:
        blob = crypto.encrypt(ID_NUMBER)
        assert ID_NUMBER.encode() not in blob
        assert len(blob) == crypto.NONCE + len(ID_NUMBER) + 16  # nonce + ciphertext + GCM tag

    def test_tampered_ciphertext_is_refused(self) -> None:
        blob = bytearray(crypto.encrypt(ID_NUMBER))
        blob[-1] ^= 1
        with pytest.raises(InvalidTag):
            crypto.decrypt(bytes(blob))


class TestBlindIndex:
    def test_equal_values_give_equal_indexes(self) -> None:
        assert crypto.blind_index(ID_NUMBER) == crypto.blind_index(ID_NUMBER)

    def test_spacing_dashes_and_case_do_not_matter(self) -> None:
        assert crypto.blind_index("53018119850723123x") == crypto.blind_index("530181 19850723 123X")
        assert crypto.blind_index("0871-68123456") == crypto.blind_index("087168123456")

    def test_different_values_give_different_indexes(self) -> None:
        assert crypto.blind_index(PHONE) != crypto.blind_index("13812345679")

    def test_index_is_keyed_not_a_plain_hash(self) -> None:
        import hashlib

        assert crypto.blind_index(PHONE) != hashlib.sha256(PHONE.encode()).hexdigest()
        assert len(crypto.blind_index(PHONE)) == 64


class TestSeal:
    def test_three_columns_for_an_id_number(self) -> None:
        cols = crypto.seal("id_number", "53018119850723123x")
        assert crypto.decrypt(cols["enc"]) == "53018119850723123X"  # type: ignore[arg-type]
        assert cols["hash"] == crypto.blind_index("53018119850723123X")
        assert cols["masked"] == "5301**********123X"

    def test_phone_uses_the_phone_mask(self) -> None:
        assert crypto.seal("phone", PHONE)["masked"] == "138****5678"

    def test_empty_value_stores_nothing(self) -> None:
        assert crypto.seal("phone", None) == {"enc": None, "hash": None, "masked": None}
        assert crypto.seal("id_number", "") == {"enc": None, "hash": None, "masked": None}
