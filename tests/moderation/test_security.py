"""Every /moderate/ answer is locked down; no template needs inline script or style."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.moderation.conftest import sign_in

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")


def assert_locked_down(response):
    assert response.headers["Content-Security-Policy"] == CSP
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize("path", ["/moderate/login", "/moderate/", "/moderate/nowhere",
                                  "/moderate/sites/lejourpile/pending"])
def test_anonymous_answers_carry_strict_headers(client, world, path):
    assert_locked_down(client.get(path))


@pytest.mark.parametrize("path", [
    "/moderate/sites/lejourpile/pending", "/moderate/sites/lejourpile/reported",
    "/moderate/sites/lejourpile/settings", "/moderate/sites/lejourpile/audit",
    "/moderate/sites/inconnu/pending",
])
def test_signed_in_pages_carry_strict_headers(admin_client, world, path):
    response = admin_client.get(path)

    assert_locked_down(response)
    assert response.headers["Cache-Control"] == "no-store"


def test_other_pages_keep_their_own_headers(client, world):
    assert "X-Frame-Options" not in client.get("/embed.js").headers


@pytest.mark.parametrize("template", sorted(
    [TEMPLATES / "base.html", *(TEMPLATES / "moderation").glob("*.html")], key=str),
    ids=lambda p: p.name)
def test_template_has_no_inline_script_style_or_handler(template):
    source = template.read_text()

    assert not re.search(r"<script(?![^>]*\bsrc=)", source)
    assert "<style" not in source
    assert not re.search(r"\sstyle=", source)
    assert not re.search(r"\son[a-z]+=", source)
    assert "javascript:" not in source


def test_queue_page_html_has_no_inline_script_or_style(admin_client, world):
    page = admin_client.get("/moderate/sites/lejourpile/reported").get_data(as_text=True)

    assert not re.search(r"<script(?![^>]*\bsrc=)", page) and not re.search(r"\sstyle=", page)


def test_queue_page_is_never_cached(client, world):
    sign_in(client)

    assert client.get("/moderate/sites/lejourpile/pending").headers["Cache-Control"] == "no-store"
