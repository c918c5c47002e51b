"""UI languages: Chinese by default, English on request (?lang=, remembered in the session, or Accept-Language);
and the catalogs: every UI string is extracted, and every msgid has an English translation."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from sqlalchemy.orm import Session

from gongzhi.core import i18n
from tests import factories as f
from tests.web import HTML, sign_in

ROOT = Path(__file__).resolve().parents[2]
LOCALE = ROOT / "src" / "gongzhi" / "locale"
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+")

LOGIN_ZH = ("用户名", "密码", "共治 · 登录", "党建引领城市基层治理平台")
LOGIN_EN = ("Username", "Password", "Gongzhi · Sign in", "Party-building-led urban grassroots governance platform")
LIST_ZH = ("居民台账", "姓名", "性别", "所属网格", "搜索", "查询", "新增", "导入Excel", "导出Excel", "下载模板",
           "全部", "首页", "网格地图", "退出", "可搜：", "条")
LIST_EN = ("Residents register", "Name", "Sex", "Grid", "Search by: Name, full ID number, full phone number",
           "Add", "Import Excel", "Export Excel", "Download template", "All", "Home", "Grid map", "Sign out",
           "Grid worker", "Elderly living alone")


def _text(html: str) -> str:
    """What a reader sees: the page without tags, scripts and attribute values."""
    html = re.sub(r"<script.*?</script>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


# ---- choosing the language ----------------------------------------------------------------------------------

class TestLanguageChoice:
    def test_chinese_by_default(self, client: Any) -> None:
        r = client.get("/login", headers=HTML)
        assert r.status_code == 200
        assert '<html lang="zh-CN">' in r.text
        assert all(s in r.text for s in LOGIN_ZH)
        assert not any(s in r.text for s in LOGIN_EN)

    def test_login_page_in_english(self, client: Any) -> None:
        r = client.get("/login", params={"lang": "en"}, headers=HTML)
        assert r.status_code == 200
        assert '<html lang="en">' in r.text
        assert all(s in r.text for s in LOGIN_EN)
        assert not any(s in r.text for s in LOGIN_ZH)
        # no Chinese left but the switch's own name for Chinese
        assert set(CJK.findall(_text(r.text))) == {"中文"}

    def test_the_language_switch_keeps_the_query(self, client: Any) -> None:
        r = client.get("/login", params={"next": "/registers/residents"}, headers=HTML)
        assert 'href="?next=%2Fregisters%2Fresidents&amp;lang=en"' in r.text
        assert '<b aria-current="true" lang="zh-CN">中文</b>' in r.text

    def test_chosen_language_is_remembered_in_the_session(self, client: Any) -> None:
        client.get("/login", params={"lang": "en"}, headers=HTML)
        r = client.get("/login", headers=HTML)
        assert "Username" in r.text
        assert "用户名" not in r.text
        # … through signing in (a new session) and on every page after
        sign_in(client, "grid")
        home = client.get("/", headers=HTML)
        assert "Hello, " in home.text
        assert "您好" not in home.text
        assert "Role: Grid worker" in home.text
        # … until switched back, which also beats the browser's preference
        r = client.get("/", params={"lang": "zh"}, headers={**HTML, "Accept-Language": "en"})
        assert "您好" in r.text
        assert "您好" in client.get("/", headers={**HTML, "Accept-Language": "en"}).text

    @pytest.mark.parametrize(("header", "lang"), [
        ("en", "en"), ("en-GB,en;q=0.9", "en"), ("en-US,en;q=0.9,zh-CN;q=0.8", "en"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh"), ("fr-FR,en;q=0.5", "en"), ("fr", "zh"), ("", "zh"), (None, "zh"),
        ("zh;q=0.4,en;q=0.6", "en"), ("en;q=0", "zh"), ("en;q=abc", "zh"), ("*", "zh"),
    ])
    def test_accept_language(self, header: str | None, lang: str) -> None:
        assert i18n.from_accept_language(header) == lang

    def test_accept_language_header_picks_english(self, client: Any) -> None:
        r = client.get("/login", headers={**HTML, "Accept-Language": "en-US,en;q=0.9,zh-CN;q=0.5"})
        assert '<html lang="en">' in r.text
        assert "Username" in r.text
        # not stored: only ?lang= is a choice
        assert "用户名" in client.get("/login", headers=HTML).text

    def test_unknown_lang_is_ignored(self, client: Any) -> None:
        r = client.get("/login", params={"lang": "fr"}, headers=HTML)
        assert "用户名" in r.text


# ---- pages in English ---------------------------------------------------------------------------------------

class TestEnglishPages:
    def test_residents_list(self, client: Any, auth: Any, session: Session, city: dict[str, Any]) -> None:
        f.make_resident(session, grid=f.region(session, city["scopes"]["grid"]), name="英文页", care_tags="独居老人")
        headers = {**HTML, **auth("grid")}
        r = client.get("/registers/residents", params={"lang": "en", "q": "英文页"}, headers=headers)
        assert r.status_code == 200
        assert '<html lang="en">' in r.text
        assert all(s in r.text for s in LIST_EN), [s for s in LIST_EN if s not in r.text]
        assert "1 record matching “英文页”" in r.text
        assert not any(s in _text(r.text) for s in LIST_ZH), [s for s in LIST_ZH if s in _text(r.text)]
        assert "英文页" in r.text  # data stays as entered
        # the htmx partial (search as you type) is in English too, without ?lang= (the session remembers)
        partial = client.get("/registers/residents", params={"q": "没有这个人"},
                             headers={**headers, "HX-Request": "true"})
        assert "0 records" in partial.text
        assert "No matching records" in partial.text
        assert "没有符合条件的记录" not in partial.text

    def test_residents_list_in_chinese(self, client: Any, auth: Any) -> None:
        r = client.get("/registers/residents", headers={**HTML, **auth("grid")})
        assert all(s in r.text for s in ("居民台账", "姓名", "导出Excel", "共 "))
        assert not any(s in r.text for s in ("Residents register", "Export Excel", "Sign out"))

    def test_map_words_come_from_the_page(self, client: Any, auth: Any, city: dict[str, Any]) -> None:
        """map.js holds no UI text: the page hands it the words, translated, in data-text."""
        code = city["scopes"]["community"]

        def words(lang: str) -> dict[str, str]:
            r = client.get(f"/regions/{code}", params={"lang": lang}, headers={**HTML, **auth("community")})
            assert r.status_code == 200
            match = re.search(r"data-text='([^']*)'", r.text)
            assert match, "the map has no data-text"
            return dict(json.loads(html.unescape(match.group(1))))

        en, zh = words("en"), words("zh")
        assert en["share"] == "Share of overloaded grids"
        assert en["high"] == "Over 30%"
        assert en["counts"] == "{households} households · {residents} people"
        assert zh["share"] == "超负荷网格占比"
        assert zh["high"] == "超过 30%"
        assert zh["counts"] == "{households} 户 · {residents} 人"
        assert set(en) == set(zh)
        assert all(en.values())
        script = (ROOT / "src" / "gongzhi" / "static" / "map.js").read_text(encoding="utf-8")
        assert not CJK.search(re.sub(r"//.*", "", script))  # comments aside

    def test_error_page(self, client: Any, auth: Any) -> None:
        r = client.get("/registers/no-such-register", params={"lang": "en"}, headers={**HTML, **auth("grid")})
        assert r.status_code == 404
        assert "404 · Not found" in r.text
        assert "Go back" in r.text


# ---- the catalogs ---------------------------------------------------------------------------------------------

def _key(message: Any) -> tuple[str | None, str]:
    mid = message.id if isinstance(message.id, str) else message.id[0]
    return message.context, mid


@pytest.fixture(scope="module")
def pot() -> Any:
    with (LOCALE / "messages.pot").open("rb") as fh:
        return read_po(fh)


@pytest.fixture(scope="module")
def english() -> Any:
    with (LOCALE / "en" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale="en")


def test_no_compiled_catalogs_are_committed() -> None:
    assert not list(LOCALE.rglob("*.mo"))


def test_every_msgid_has_an_english_translation(pot: Any, english: Any) -> None:
    ids = [m for m in pot if m.id]
    assert len(ids) > 200
    translated = {_key(m): m for m in english if m.id}
    missing = [_key(m) for m in ids if _key(m) not in translated]
    assert not missing, f"not in en/messages.po (run `make i18n`, then translate): {missing}"
    for m in ids:
        en = translated[_key(m)]
        strings = en.string if isinstance(en.string, tuple) else (en.string,)
        assert all(s.strip() for s in strings), f"untranslated: {_key(m)}"
        assert not en.fuzzy, f"fuzzy: {_key(m)}"
    problems = [(m.id, errors) for m, errors in english.check()]
    assert not problems, problems  # e.g. placeholders that differ between msgid and msgstr


def test_every_ui_string_is_in_the_catalog(pot: Any) -> None:
    """Extract as `make i18n` does (babel.cfg): a string added to a template or marked in Python without
    re-extracting — and so without a translation — fails here."""
    with (ROOT / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    extracted = {(context, msg if isinstance(msg, str) else msg[0])
                 for _file, _line, msg, _comments, context in extract_from_dir(str(ROOT), method_map, options_map)}
    catalog = {_key(m) for m in pot if m.id}
    assert not extracted - catalog, f"not in messages.pot (run `make i18n`): {sorted(extracted - catalog)}"
    assert not catalog - extracted, f"stale in messages.pot (run `make i18n`): {sorted(catalog - extracted)}"


def test_template_strings_are_in_the_catalog(pot: Any) -> None:
    """The plain reading of the rule, independent of Babel's extractor: every literal _("…") in a template."""
    catalog = {_key(m)[1] for m in pot if m.id}
    literal = re.compile(r"""\b(?:_|gettext)\(\s*(?:"([^"]*)"|'([^']*)')""")
    found = {a or b for p in (ROOT / "src" / "gongzhi" / "templates").rglob("*.html")
             for a, b in literal.findall(p.read_text(encoding="utf-8"))}
    assert len(found) > 100
    assert not found - catalog, sorted(found - catalog)


def test_labels_from_python_are_in_the_catalog(english: Any) -> None:
    """What templates pass through _() from Python — register and field labels, help, choices, roles, levels,
    loads, audit actions, error titles — must be marked (N_) so that it is extracted and translated."""
    from gongzhi.app import STATUS_TITLES, create_app
    from gongzhi.core.audit_pages import ACTIONS
    from gongzhi.core.auth import ROLE_LABELS
    from gongzhi.core.registers import REGISTRY
    from gongzhi.regions.models import LEVEL_LABELS
    from gongzhi.regions.service import LOAD_LABELS

    create_app()  # every register is loaded
    words: set[str] = set(STATUS_TITLES.values()) | set(ACTIONS.values()) | set(LEVEL_LABELS.values()) \
        | set(LOAD_LABELS.values())
    for reg in REGISTRY.values():
        words.add(reg.label)
        for fld in reg.fields:
            words |= {fld.label, fld.help} | {c for c in fld.choices if CJK.search(c)} | {lb for _, lb in fld.codes}
    words.discard("")
    translated = {_key(m): m.string for m in english if m.id and m.string}
    assert len(REGISTRY) == 7
    assert not [w for w in words if (None, w) not in translated], "mark these with N_() and run `make i18n`"
    assert not [w for w in ROLE_LABELS.values() if ("role", w) not in translated]


def test_catalogs_compile_in_memory() -> None:
    assert i18n.TRANSLATIONS["en"].gettext("保存") == "Save"
    assert i18n.TRANSLATIONS["en"].pgettext("role", "居民") == "Resident"
    assert i18n.TRANSLATIONS["en"].gettext("居民") == "Residents"
    assert i18n.TRANSLATIONS["en"].ngettext("共 %(num)s 条", "共 %(num)s 条", 2) == "%(num)s records"
    assert i18n.TRANSLATIONS["zh"].gettext("保存") == "保存"
