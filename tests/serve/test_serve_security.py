"""`astre serve`'s guard, called as an ASGI application: refusals that a user of the browser never sees."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from generator.serve.security import COOKIE, CSP, Guard, Secrets

HOSTS = {"127.0.0.1:8765", "localhost:8765"}


async def _inner(scope, receive, send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"dossiers"})


def _get(keys: Secrets, path: str = "/", query: str = "", host: str = "127.0.0.1:8765",
         cookie: str | None = None) -> tuple[int, dict[str, str], str]:
    headers = [(b"host", host.encode())] + ([(b"cookie", cookie.encode())] if cookie else [])
    scope = {"type": "http", "method": "GET", "path": path, "raw_path": path.encode(), "query_string": query.encode(),
             "headers": headers, "scheme": "http", "server": ("127.0.0.1", 8765), "root_path": ""}
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    # In a thread of its own: Playwright's browser tests may hold this thread's event loop.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, Guard(_inner, keys, HOSTS)(scope, receive, send)).result()
    start = sent[0]
    headers_out = {k.decode(): v.decode() for k, v in start["headers"]}
    body = b"".join(m.get("body", b"") for m in sent[1:]).decode()
    return start["status"], headers_out, body


def test_the_token_opens_a_session_held_in_a_strict_httponly_cookie() -> None:
    keys = Secrets()
    status, headers, _ = _get(keys, "/dossiers/x/menage", f"token={keys.token}")
    assert status == 303 and headers["location"] == "/dossiers/x/menage"  # the token leaves the address bar
    cookie = headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}={keys.session};") and "HttpOnly" in cookie and "SameSite=strict" in cookie
    status, headers, body = _get(keys, cookie=f"{COOKIE}={keys.session}")
    assert (status, body) == (200, "dossiers")
    assert headers["content-security-policy"] == CSP and "script-src 'self'" in CSP


def test_without_the_token_or_the_cookie_the_request_is_refused() -> None:
    keys = Secrets()
    for query, cookie in (("", None), ("token=devine", None), ("", f"{COOKIE}=devine"), ("", f"{COOKIE}={keys.token}")):
        status, _, body = _get(keys, query=query, cookie=cookie)
        assert status == 403 and "Accès refusé" in body, (query, cookie)


def test_a_token_or_cookie_with_non_ascii_characters_is_refused_not_a_crash() -> None:
    keys = Secrets()
    for query, cookie in (("token=%C3%A9", None), ("", f"{COOKIE}=é")):
        status, _, body = _get(keys, query=query, cookie=cookie)
        assert status == 403 and "Accès refusé" in body, (query, cookie)
    assert keys.csrf_ok("é") is False and keys.csrf_ok(None) is False and keys.csrf_ok(object()) is False


def test_a_foreign_host_is_refused_even_with_the_token_or_the_cookie() -> None:
    """DNS rebinding: a page of evil.example whose name now points to 127.0.0.1."""
    keys = Secrets()
    for host in ("evil.example:8765", "127.0.0.1:9999", ""):
        assert _get(keys, query=f"token={keys.token}", host=host)[0] == 403
        assert _get(keys, host=host, cookie=f"{COOKIE}={keys.session}")[0] == 403


def test_the_csrf_token_is_the_session_s_own() -> None:
    one, other = Secrets(), Secrets()
    assert one.csrf_ok(one.csrf)
    assert not one.csrf_ok(other.csrf) and not one.csrf_ok(None) and not one.csrf_ok("")
