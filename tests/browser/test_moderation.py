"""The moderation pages in real Chromium: sign in, decide with the keyboard, see the result in
the widget on the hostile host page; screenshots at 375 and 1280 px."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect
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


@pytest.fixture
def reported_reply(queue):
    """A published reply, reported once, by an author with a history on the site."""
    site = db.session.scalar(select(Site).where(Site.key == SITE_KEY))
    thread = make_thread(site, "2026/12/budget", title="Budget : le débat s’enflamme")
    parent = make_comment(thread, "Le budget de la défense augmente encore cette année.",
                          author="Claire")
    make_comment(thread, "Un ancien message refusé", author="Rémi Lefèvre",
                 status=CommentStatus.REJECTED, reader_hash="r" * 64)
    reply = make_comment(thread, "Faux, il baisse en euros constants.", parent=parent,
                         author="Rémi Lefèvre", reader_hash="r" * 64, flag_count=1)
    db.session.add(Flag(comment_id=reply.id, reader_hash="c", reason=FlagReason.ABUSE,
                        note="mensonge"))
    db.session.commit()
    return {"reply": reply.id, "parent": parent.id}


def test_moderator_finds_an_author_reads_the_context_keeps_the_comment(
        page, servers, reported_reply):
    sign_in(page, servers)
    page.goto(f"{servers.engage}/moderate/sites/{SITE_KEY}/reported")
    page.fill("#filter-q", "remi lefevre")  # no accents, no capitals
    with page.expect_navigation():
        page.press("#filter-q", "Enter")

    item = page.locator(f"#comment-{reported_reply['reply']}")
    assert page.locator("[data-item]").count() == 1
    context = item.locator(".in-reply-to").inner_text()
    assert "Claire" in context and "Le budget de la défense" in context
    history = item.locator(".history").inner_text()
    assert "2 comments (1 published, 0 waiting, 1 rejected, 0 spam)" in history
    assert "1 report received" in history
    link = item.locator(".item-title a").get_attribute("href")
    assert link.endswith(f"#comment-{reported_reply['reply']}")
    screenshot(page, "moderation-context-1280")

    item.click(position={"x": 5, "y": 5})  # the keyboard is now on this comment
    with page.expect_navigation():
        page.keyboard.press("a")  # "Keep": the comment is published and reported

    assert page.locator(".flash-success").is_visible()
    assert page.locator("[data-item]").count() == 0
    db.session.rollback()
    kept = db.session.get(Comment, reported_reply["reply"])
    assert kept.status == CommentStatus.APPROVED and kept.flag_count == 0
    flag = db.session.scalar(select(Flag).where(Flag.comment_id == kept.id))
    assert flag.resolution == "approve" and flag.resolved_at is not None


def test_shortcuts_stay_off_the_top_bar_and_can_be_turned_off(page, servers, queue):
    sign_in(page, servers)
    page.locator(".site-nav a").first.focus()
    page.keyboard.press("a")  # on the top bar: nothing happens
    page.wait_for_timeout(200)
    db.session.rollback()
    assert db.session.get(Comment, queue["held"]).status == CommentStatus.PENDING

    with page.expect_navigation():
        page.click("#shortcuts button")
    assert page.locator("#shortcuts").get_attribute("data-enabled") == "off"
    page.locator("body").click(position={"x": 2, "y": 2})
    page.keyboard.press("j")
    page.keyboard.press("a")
    page.wait_for_timeout(200)
    db.session.rollback()
    assert db.session.get(Comment, queue["held"]).status == CommentStatus.PENDING


def test_a_link_to_one_comment_scrolls_to_it_in_the_widget(page, servers, queue):
    site = db.session.scalar(select(Site).where(Site.key == SITE_KEY))
    thread = make_thread(site, "2026/12/long", title="Un long fil")
    ids = [make_comment(thread, f"Commentaire numéro {n}").id for n in range(25)]
    db.session.commit()
    target = ids[3]

    page.goto(servers.page_url("article-long", THREAD.replace(ARTICLE, "2026/12/long"))
              + f"#comment-{target}")
    linked = page.locator(f"{W}#comment-{target}")
    linked.wait_for()
    expect(linked).to_have_class(re.compile(r"\bis-linked\b"))
    # In the widget's shadow root, the keyboard is on the linked comment.
    assert linked.evaluate(
        "el => el.querySelector('article') === el.getRootNode().activeElement")
