"""Helpers for page tests: a browser-like sign-in through the login form, and the CSRF token of a page."""

from __future__ import annotations

import re
from typing import Any

from tests.conftest import PASSWORD

HTML = {"Accept": "text/html,application/xhtml+xml"}
_CSRF = (re.compile(r'name="csrf_token" value="([^"]+)"'), re.compile(r'"X-CSRF-Token": "([^"]+)"'))


def csrf_of(html: str) -> str:
    """The CSRF token a page carries (a form's hidden field, or the HTMX header on <body>)."""
    for pattern in _CSRF:
        match = pattern.search(html)
        if match:
            return match.group(1)
    raise AssertionError("page has no CSRF token")


def sign_in(client: Any, username: str, password: str = PASSWORD) -> str:
    """Log in through /login as a browser would; returns the CSRF token of the signed-in session."""
    form = client.get("/login", headers=HTML)
    assert form.status_code == 200, form.text
    r = client.post("/login", data={"username": username, "password": password, "csrf_token": csrf_of(form.text),
                                    "next": "/"}, headers=HTML, follow_redirects=False)
    assert r.status_code == 303, r.text
    home = client.get("/", headers=HTML)
    assert home.status_code == 200
    return csrf_of(home.text)
