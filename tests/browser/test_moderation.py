"""The moderation pages in real Chromium: sign in, decide with the keyboard, see the result in
the widget on the hostile host page; screenshots at 375 and 1280 px."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from engage.extensions import db
from engage.models import Comment, CommentStatus, Flag, FlagReason, Site, utcnow
from tests.browser.conftest import SITE_KEY, screenshot
from tests.factories import make_comment, make_moderator, make_thread

pytestmark = pytest.mark.browser

ARTICLE = "2026/11/mali-russie"
THREAD = f'<div id="engage-thread" data-engage-article="{ARTICLE}"></div>'
W = "#engage-thread >> "
EMAIL, PASSWORD = "modo@hostile.fr", "un mot de passe solide"
HELD = "Les **chiffres** de l’article sont faux, voici la source : https://example.org/a"


@pytest.fixture
def app_config():
    # The real forms, CSRF token included.
    return {"WTF_CSRF_ENABLED": True}


@pytest.fixture
def queue(servers):
    """A moderator of the host page's site, and held and reported comments on its article."""
    site = db.session.scalar(select(Site).where(Site.key == SITE_KEY))
    thread = make_thread(site, ARTICLE, title="Mali : la Russie renforce sa présence")
    start = utcnow() - dt.timedelta(hours=3)
    held = make_comment(thread, HELD, author="Noémie", email="noemie@example.org",
                        status=CommentStatus.PENDING, held_reason="suspect word: faux",
                        created_at=start)
    make_comment(thread, "Première fois ici, bravo pour l’enquête « de terrain ».",
                 author="Jean-Baptiste", status=CommentStatus.PENDING,
                 held_reason="first comment", created_at=start + dt.timedelta(minutes=20))
    make_comment(thread, "Achetez ici https://spam.example/1 https://spam.example/2 "
                 "https://spam.example/3", author="PromoBot", email="bot@spam.example",
                 status=CommentStatus.PENDING, held_reason="3 links (more than 2)",
                 created_at=start + dt.timedelta(minutes=40))
    reported = make_comment(thread, "Ils devraient tous être expulsés, ces gens-là.",
                            author="Anonyme", status=CommentStatus.PENDING,
                            held_reason="reported 2 times", flag_count=2,
                            created_at=start + dt.timedelta(hours=1))
    db.session.add_all([
        Flag(comment_id=reported.id, reader_hash="a", reason=FlagReason.ILLEGAL,
             note="Incitation à la haine"),
        Flag(comment_id=reported.id, reader_hash="b", reason=FlagReason.ABUSE, note=""),
    ])
    make_moderator(EMAIL, sites=(site,), password=PASSWORD)
    db.session.commit()
    return {"held": held.id}


def sign_in(page, servers):
    page.goto(f"{servers.engage}/moderate/login")
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("[data-item]")


def test_moderator_approves_held_comment_with_keyboard_and_widget_shows_it(
        page, servers, queue):
    sign_in(page, servers)
    assert page.url.endswith(f"/moderate/sites/{SITE_KEY}/pending")
    assert page.locator("#shortcuts").is_visible()
    screenshot(page, "moderation-1280")

    page.keyboard.press("j")
    first = page.locator("[data-item]").first
    assert first.evaluate("el => el === document.activeElement")
    assert "is-current" in first.get_attribute("class")
    assert first.evaluate("el => getComputedStyle(el).outlineStyle") == "solid"
    with page.expect_navigation():
        page.keyboard.press("a")

    assert page.locator(".flash-success").is_visible()
    assert f"comment-{queue['held']}" not in page.content()
    db.session.rollback()
    assert db.session.get(Comment, queue["held"]).status == CommentStatus.APPROVED

    page.goto(servers.page_url("article-modere", THREAD))
    comment = page.locator(W + "li.comment").first
    comment.wait_for()
    assert "Noémie" in comment.inner_text()
    assert comment.locator("strong").inner_text() == "chiffres"


def test_shortcuts_are_ignored_while_typing_a_reason(page, servers, queue):
    sign_in(page, servers)

    page.keyboard.press("j")
    page.locator("[data-item] textarea[name=reason]").first.fill("")
    page.locator("[data-item] textarea[name=reason]").first.type("a r s")

    assert page.locator("[data-item] textarea[name=reason]").first.input_value() == "a r s"
    db.session.rollback()
    assert db.session.get(Comment, queue["held"]).status == CommentStatus.PENDING


def test_queue_fits_a_375_px_screen(browser, servers, queue):
    context = browser.new_context(viewport={"width": 375, "height": 800}, locale="fr-FR")
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: m.type in ("error", "warning") and problems.append(m.text))
    try:
        sign_in(page, servers)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        text = page.locator("main").inner_text()
        screenshot(page, "moderation-375")
    finally:
        context.close()

    assert width <= 375
    assert "Approuver" in text and "Contenu illégal (DSA)" in text
    assert problems == []
