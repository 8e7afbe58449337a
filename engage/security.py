"""Security headers on every answer (the moderation pages add their own CSP)."""

from __future__ import annotations

from flask import Flask, Response, request


def register_security_headers(app: Flask) -> None:
    """Send nosniff, a referrer policy and, over HTTPS, HSTS with every answer."""

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        # Readers' article URLs are nobody's business: send only the origin elsewhere.
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        if (
            request.is_secure
        ):  # behind a proxy: ENGAGE_TRUSTED_PROXIES makes X-Forwarded-Proto count
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if request.path.startswith("/api/"):
            # JSON is never a page: nothing in it may run, frame or load anything.
            headers.setdefault(
                "Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"
            )
        return response
