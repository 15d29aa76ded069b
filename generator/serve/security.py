"""What keeps a local server holding case data private: Jupyter's habits.

Bound to 127.0.0.1 only. The browser is opened on a URL holding a random token; the
first request with it gets an HttpOnly, SameSite=Strict cookie and is redirected to
the same page without the token. A request without the cookie or the token, or whose
`Host` header is not this server (DNS rebinding: a web page whose name points to
127.0.0.1), is refused. Every POST carries a CSRF token tied to the session. Pages
allow only astre's own scripts and styles (Content-Security-Policy).
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.datastructures import URL
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HOST = "127.0.0.1"
COOKIE = "astre_session"
CSRF_FIELD = "_csrf"
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
       "connect-src 'self'; frame-src 'self'; object-src 'self'; form-action 'self'; base-uri 'none'; "
       "frame-ancestors 'self'")
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
    (b"x-frame-options", b"SAMEORIGIN"),
]
REFUSED = ("Accès refusé. Ouvrez l'adresse complète affichée par « astre serve » dans le terminal "
           "(elle contient un jeton secret), ou relancez « make serve ».")


def same_secret(given: object, expected: str) -> bool:
    """Compare a submitted secret in constant time; anything but a text (an upload, nothing) is refused.

    Compared as bytes: `hmac.compare_digest` refuses non-ASCII text with an exception (a 500), not a « no ».
    """
    return isinstance(given, str) and hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


@dataclass
class Secrets:
    """The secrets of one run of the server: the token of the URL opened, and the session's."""

    token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    session: str = field(default_factory=lambda: secrets.token_urlsafe(32))

    @property
    def csrf(self) -> str:
        """Return the CSRF token that every form of this session carries."""
        return hmac.new(self.session.encode(), b"csrf", "sha256").hexdigest()

    def csrf_ok(self, value: object) -> bool:
        """True when a submitted form carries this session's CSRF token."""
        return same_secret(value, self.csrf)


def allowed_hosts(port: int) -> set[str]:
    """Return the `Host` headers this server answers: itself, by address or as localhost."""
    return {f"{HOST}:{port}", f"localhost:{port}"}


class Guard:
    """ASGI middleware: refuse foreign hosts and requests without the token or cookie; add the security headers."""

    def __init__(self, app: ASGIApp, keys: Secrets, hosts: set[str]) -> None:  # noqa: D107
        self.app, self.keys, self.hosts = app, keys, hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check one request, then pass it on with the security headers added to its answer."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        refusal = self._refusal(scope, headers)
        if refusal is not None:
            await self._secured(refusal)(scope, receive, send)
            return

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *HEADERS]
            await send(message)

        await self.app(scope, receive, send_secured)

    def _refusal(self, scope: Scope, headers: dict[str, str]) -> Response | None:
        if headers.get("host", "") not in self.hosts:
            return PlainTextResponse("Accès refusé : adresse inconnue (seul http://127.0.0.1 est servi).",
                                     status_code=403)
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        token = query.get("token")
        if same_secret(token, self.keys.token):
            kept = {k: v for k, v in query.items() if k != "token"}
            url = URL(scope=scope).replace(query=urlencode(kept))
            response = RedirectResponse(url.path + (f"?{url.query}" if url.query else ""), status_code=303)
            response.set_cookie(COOKIE, self.keys.session, httponly=True, samesite="strict", path="/")
            return response
        if not self._has_session(headers.get("cookie", "")):
            return PlainTextResponse(REFUSED, status_code=403)
        return None

    def _has_session(self, cookie_header: str) -> bool:
        for part in cookie_header.split(";"):
            name, _, value = part.strip().partition("=")
            if name == COOKIE and same_secret(value, self.keys.session):
                return True
        return False

    @staticmethod
    def _secured(response: Response) -> Any:
        response.raw_headers.extend(HEADERS)
        return response
