"""GET /embed.js, the committed widget build, and the demo pages."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from engage.extensions import db
from tests.factories import make_site

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "static" / "src"


def sources_digest() -> str:
    """The same digest as static/src/build.mjs writes into embed.js's first line."""
    digest = hashlib.sha256()
    names = sorted(
        p.name
        for p in SOURCES.iterdir()
        if p.is_file() and (p.suffix in {".js", ".css", ".mjs"} or p.name == "package.json")
    )
    for name in names:
        digest.update(f"{name}\0".encode())
        digest.update((SOURCES / name).read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def test_committed_embed_js_is_built_from_current_sources():
    first_line = (ROOT / "static" / "embed.js").read_text().splitlines()[0]

    built = re.search(r"sources:([0-9a-f]{16})", first_line).group(1)

    assert built == sources_digest(), (
        "static/embed.js is stale: run `cd static/src && npm ci && npm run build` and commit it"
    )


def test_embed_js_is_javascript_cached_briefly_with_etag(client):
    response = client.get("/embed.js")

    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["ETag"]
    assert "max-age=300" in response.headers["Cache-Control"]
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_embed_js_at_current_version_is_immutable(client):
    version = sources_digest()

    response = client.get(f"/embed.js?v={version}")

    assert "immutable" in response.headers["Cache-Control"]
    assert "max-age=31536000" in response.headers["Cache-Control"]


def test_embed_js_revalidates_with_304(client):
    etag = client.get("/embed.js").headers["ETag"]

    assert client.get("/embed.js", headers={"If-None-Match": etag}).status_code == 304


@pytest.mark.parametrize("app_config", [{}])
@pytest.mark.parametrize("path", ["/", "/articles", "/articles/2026/11/budget-municipal"])
def test_demo_pages_do_not_exist_outside_demo(client, path):
    assert client.get(path).status_code == 404


@pytest.fixture
def app_config():
    return {"ENGAGE_DEMO": True, "ENGAGE_DEMO_SITE": "demo"}


def demo_client(app):
    make_site("demo", origins=("http://localhost",))
    db.session.commit()
    return app.test_client()


def test_demo_article_embeds_widget_in_french(app):
    page = demo_client(app).get("/").get_data(as_text=True)

    assert '<html lang="fr">' in page
    assert 'id="engage-thread"' in page and 'data-engage-article="2026/11/budget-municipal"' in page
    assert 'data-engage-site="demo"' in page and "/embed.js?v=" in page
    assert "pistes cyclables" in page


def test_demo_listing_has_count_placeholders(app):
    page = demo_client(app).get("/articles").get_data(as_text=True)

    assert page.count("data-engage-count=") == 3


def test_demo_unknown_article_is_404(app):
    assert demo_client(app).get("/articles/nope").status_code == 404


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_strings_of_one_language_are_a_module_any_origin_may_import(client, lang):
    version = sources_digest()

    response = client.get(f"/embed/{lang}.js?v={version}", headers={"Origin": "https://news.example"})

    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "immutable" in response.headers["Cache-Control"]
    assert "Set-Cookie" not in response.headers and "Cookie" not in response.headers.get("Vary", "")
    text = response.get_data(as_text=True)
    assert f"sources:{version}" in text.splitlines()[0] and "export" in text
    assert ("Publier" if lang == "fr" else "Post") in text


def test_the_seldom_opened_panels_are_a_module_any_origin_may_import(client):
    version = sources_digest()

    response = client.get(f"/embed/panels.js?v={version}", headers={"Origin": "https://news.example"})

    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "immutable" in response.headers["Cache-Control"]
    text = response.get_data(as_text=True)
    assert f"sources:{version}" in text.splitlines()[0]
    assert "export" in text and "reportForm" in text and "confirmRemove" in text


def test_strings_of_an_unknown_language_are_404(client):
    assert client.get("/embed/de.js").status_code == 404
    assert client.get("/embed/..%2Fembed.js").status_code == 404


@pytest.mark.parametrize("name", ["embed.js", "embed/fr.js", "embed/en.js", "embed/panels.js"])
def test_built_files_carry_the_current_sources_digest(name):
    first_line = (ROOT / "static" / name).read_text().splitlines()[0]

    assert f"sources:{sources_digest()}" in first_line, f"static/{name} is stale: rebuild it"


def test_precompressed_widget_copies_match_the_bundle():
    import gzip
    from pathlib import Path

    import brotli

    static = Path(__file__).resolve().parents[1] / "static"
    for name in ("embed.js", "embed/fr.js", "embed/en.js"):
        bundle = (static / name).read_bytes()
        assert gzip.decompress((static / f"{name}.gz").read_bytes()) == bundle
        assert brotli.decompress((static / f"{name}.br").read_bytes()) == bundle


@pytest.mark.parametrize("coding", ["br", "gzip"])
def test_widget_is_served_precompressed(client, coding):
    import gzip

    import brotli

    plain = client.get("/embed.js", headers={"Accept-Encoding": "identity"})
    response = client.get("/embed.js", headers={"Accept-Encoding": f"{coding}, identity"})
    assert response.headers["Content-Encoding"] == coding
    assert "Accept-Encoding" in response.headers["Vary"]
    decode = brotli.decompress if coding == "br" else gzip.decompress
    assert decode(response.data) == plain.data
    assert response.headers["ETag"] != plain.headers["ETag"]
    assert "Cookie" not in response.headers["Vary"]
