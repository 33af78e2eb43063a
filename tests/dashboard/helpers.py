"""Shared arrangements for the dashboard tests: a small real policy file, moderators, and signing in."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from townhall.service import moderators
from townhall.service.core import Services

POLICY = """
[policy]
name = "Dashboard test rules"
summary = "You can say pretty much anything except the F word. Insults wait for a moderator."

[[rules]]
name = "f_word"
type = "wordlist"
description = "You can say pretty much anything except the F word."
action = "reject"
strike = false
words = ["fuck"]

[[rules]]
name = "insult"
type = "wordlist"
description = "Insults wait for a moderator."
action = "hold"
strike = false
words = ["idiot", "moron"]
"""

PASSWORD = "correct horse battery staple"


def write_policy(directory: Path) -> str:
    path = directory / "dashboard.policy.toml"
    path.write_text(POLICY, encoding="utf-8")
    return str(path)


def add_moderator(svc: Services, email: str, *, admin: bool = False, sites: tuple[str, ...] = ()) -> int:
    return moderators.add_moderator(svc, email, PASSWORD, admin=admin, sites=list(sites))


def login_token(html: str) -> str:
    m = re.search(r'name="login_token" value="([^"]+)"', html)
    assert m, "the sign-in form carries a token"
    return m.group(1)


def csrf_token(html: str) -> str:
    m = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert m and m.group(1), "signed-in pages carry the CSRF token"
    return m.group(1)


def sign_in(client: Any, email: str, password: str = PASSWORD) -> Any:
    """Sign in through the real form; returns the response of the POST (not followed)."""
    form = client.get("/admin/login")
    assert form.status_code == 200
    return client.post("/admin/login", data={"email": email, "password": password, "login_token": login_token(form.text),
                                             "next": "/admin"}, follow_redirects=False)


def sso_sign_in(client: Any, token: str, site: str | None = None) -> Any:
    """Follow a publisher's sign-in link and press its confirmation button; returns the POST's response (not
    followed), or the link's own response where it shows no confirmation (refused, or already signed in)."""
    params = {"token": token, **({"site": site} if site else {})}
    page = client.get("/admin/sso", params=params, follow_redirects=False)
    if page.status_code != 200:
        return page
    assert "th_session=" not in page.headers.get("set-cookie", ""), "the link alone signs nobody in"
    return client.post("/admin/sso", data={**params, "login_token": login_token(page.text)}, follow_redirects=False)
