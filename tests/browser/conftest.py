"""Browser tests: the engage server and a hostile host page on another origin, driven in
Debian's Chromium through Playwright. In CI a missing browser fails the run."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from engage.extensions import db
from tests.factories import make_site

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SITE_KEY = "hostile"

# Everything a careless or hostile theme might do to an embedded widget.
HOSTILE_CSS = """
* { color: #f0f !important; font-size: 7px !important; letter-spacing: 4px !important;
    line-height: 0.5 !important; text-transform: uppercase !important;
    font-family: "Comic Sans MS", cursive !important; }
button, textarea, input, form, li, ol, section, article, p, span, label, a {
    display: none !important; }
div { border: 5px dotted red !important; padding: 40px !important; background: yellow !important; }
#engage-thread { display: block !important; }
"""


# An ordinary newspaper page, for what the host's own styles would blur (accessibility checks).
PLAIN_CSS = """
body { margin: 0 auto; max-width: 46rem; padding: 0 16px; font: 18px/1.6 Georgia, serif; }
@media (prefers-color-scheme: dark) { body { background: #121212; color: #ececec; } }
"""


def host_page(engage: str, body: str, lang: str = "fr", hostile: bool = True) -> str:
    return f"""<!doctype html><html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,"><title>Article hostile</title>
<style>{HOSTILE_CSS if hostile else PLAIN_CSS}</style></head><body>
<h1>Un article « hostile »</h1>{body}
<script src="{engage}/embed.js" data-engage-site="{SITE_KEY}" async></script>
</body></html>"""


class HostSite:
    """Serves the pages given to it at /<name>, from its own origin."""

    def __init__(self) -> None:
        self.pages: dict[str, str] = {}

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        page = self.pages.get(environ["PATH_INFO"])
        status = "200 OK" if page is not None else "404 Not Found"
        start_response(status, [("Content-Type", "text/html; charset=utf-8")])
        return [(page or "not found").encode()]


def serve(app: Any) -> tuple[Any, str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


@pytest.fixture(params=["sqlite"])
def database_url(request: pytest.FixtureRequest) -> str:
    # The browser tests exercise the widget, not the database: SQLite is enough here.
    return str(request.getfixturevalue(f"{request.param}_url"))


class Servers:
    def __init__(self, engage: str, host: str, host_site: HostSite) -> None:
        self.engage, self.host, self.host_site = engage, host, host_site

    def page_url(self, name: str, body: str, lang: str = "fr", hostile: bool = True) -> str:
        self.host_site.pages[f"/{name}"] = host_page(self.engage, body, lang, hostile)
        return f"{self.host}/{name}"


@pytest.fixture
def servers(app: Any) -> Iterator[Servers]:
    engage_server, engage_url = serve(app)
    host_site = HostSite()
    host_server, host_url = serve(host_site)
    # The host page's origin is localhost, the API's 127.0.0.1: two origins, as in production.
    host_url = host_url.replace("127.0.0.1", "localhost")
    # Robots type faster than people: the human-speed check is off here, but for the one test
    # that checks it (test_form_sent_by_a_robot_at_once_is_held).
    make_site(SITE_KEY, origins=(host_url,), spam_min_seconds=0)
    db.session.commit()
    try:
        yield Servers(engage_url, host_url, host_site)
    finally:
        engage_server.shutdown()
        host_server.shutdown()


@pytest.fixture
def page(browser: Any, servers: Servers) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=servers.host)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: m.type in ("error", "warning") and problems.append(m.text))
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    page.expected_problems = []  # a test that provokes an HTTP error on purpose lists it here
    yield page
    context.close()
    unexpected = [p for p in problems if not any(e in p for e in page.expected_problems)]
    assert unexpected == [], f"console errors or dialogs: {unexpected}"


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
