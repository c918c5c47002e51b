"""UI languages: Simplified Chinese first, English second (gettext).

The msgids are the Chinese text itself, so Chinese needs no catalog. Other languages have
`locale/<lang>/LC_MESSAGES/messages.po`, compiled in memory when this module is imported (no .mo files are
committed or built at install time). `make i18n` re-extracts `locale/messages.pot` and updates the catalogs.

A request's language: `?lang=en|zh` (remembered in the signed session), else the Accept-Language header,
else Chinese. Templates translate with `_()`/`gettext`/`ngettext`/`pgettext` (jinja2.ext.i18n, new-style:
variables as keywords, a literal % written %%). Strings defined in Python are marked with `N_()` (or
`NC_(context, …)` where one Chinese word needs two translations) and translated where a template shows them:
`{{ _(f.label) }}`, `{{ pgettext("role", principal.role_label) }}`."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from jinja2 import pass_context
from starlette.requests import Request

LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"
DEFAULT = "zh"
HTML_LANG = {"zh": "zh-CN", "en": "en"}  # our language codes → <html lang>


def N_(message: str) -> str:
    """Marks a string defined in Python for extraction; a template translates it where it is shown."""
    return message


def NC_(context: str, message: str) -> str:  # noqa: ARG001 - the context is for the extractor
    """N_ with a message context: the template shows it with `pgettext(context, message)`."""
    return message


def _load(lang: str) -> NullTranslations:
    """The catalog of `lang` compiled in memory (fuzzy entries left out); the identity for Chinese."""
    po = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return NullTranslations()
    with po.open("rb") as f:
        catalog = read_po(f, locale=lang)
    mo = io.BytesIO()
    write_mo(mo, catalog)
    mo.seek(0)
    return Translations(mo, domain="messages")


TRANSLATIONS: dict[str, NullTranslations] = {lang: _load(lang) for lang in HTML_LANG}


def from_accept_language(header: str | None) -> str:
    """The language of ours the browser prefers most (highest q, first on a tie), else Chinese."""
    best, best_q = DEFAULT, 0.0
    for part in (header or "").split(","):
        tag, *params = (p.strip() for p in part.split(";"))
        q = 1.0
        for p in params:
            if p.startswith("q="):
                try:
                    q = float(p[2:])
                except ValueError:
                    q = 0.0
        primary = tag.lower().split("-")[0]
        if primary in HTML_LANG and q > best_q:
            best, best_q = primary, q
    return best


def language(request: Request) -> str:
    """The request's language ("zh" or "en"); `?lang=` also stores the choice in the session."""
    chosen = getattr(request.state, "lang", None)
    if chosen:
        return str(chosen)
    has_session = "session" in request.scope
    asked = request.query_params.get("lang")
    if asked in HTML_LANG:
        chosen = asked
        if has_session:
            request.session["lang"] = asked
    elif has_session and request.session.get("lang") in HTML_LANG:
        chosen = request.session["lang"]
    else:
        chosen = from_accept_language(request.headers.get("accept-language"))
    request.state.lang = chosen
    return chosen


def translations(request: Request | None) -> NullTranslations:
    return TRANSLATIONS[language(request) if request is not None else DEFAULT]


@pass_context
def gettext(context: Any, message: str) -> str:
    """Jinja's `_()`/`gettext()`: the message in the language of the request being rendered."""
    if not message:
        return ""  # gettext("") would be the catalog's header
    return translations(context.get("request")).gettext(message)


@pass_context
def ngettext(context: Any, singular: str, plural: str, n: int) -> str:
    return translations(context.get("request")).ngettext(singular, plural, n)


@pass_context
def pgettext(context: Any, msgctxt: str, message: str) -> str:
    if not message:
        return ""
    return translations(context.get("request")).pgettext(msgctxt, message)


@pass_context
def npgettext(context: Any, msgctxt: str, singular: str, plural: str, n: int) -> str:
    return translations(context.get("request")).npgettext(msgctxt, singular, plural, n)
