"""Cookie sessions for the moderation pages only.

The public API and the widget's script are the same for every reader: opening a session
there would add `Vary: Cookie` (which stops shared caches) and cost a cookie parse per
request for nothing.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Request, Response
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

PUBLIC_PREFIXES = ("/api/v1/", "/embed.js", "/embed/", "/healthz", "/static/", "/wordpress/")
MODERATION_API = "/api/v1/mod/"


def is_public(path: str) -> bool:
    """Tell whether a path is served to readers, the same for all of them."""
    return path.startswith(PUBLIC_PREFIXES) and not path.startswith(MODERATION_API)


class PublicPathsSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, never opened nor saved on public paths."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if is_public(request.path):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: Any, response: Response) -> None:
        from flask import request

        if is_public(request.path):
            return
        super().save_session(app, session, response)
