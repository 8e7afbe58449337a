"""The widget in real Chromium, embedded in a hostile page on another origin (CONTRACT §1)."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from engage.extensions import db
from engage.models import (
    ArticleReaction,
    Comment,
    CommentLike,
    CommentStatus,
    Flag,
    Share,
    Site,
    Thread,
)
from tests.browser.conftest import host_page, screenshot
from tests.factories import make_comment, make_thread

pytestmark = pytest.mark.browser

ARTICLE = "2026/11/mali-russie"
THREAD = '<div id="engage-thread" data-engage-article="2026/11/mali-russie"></div>'
W = "#engage-thread >> "  # Playwright's CSS engine pierces open shadow roots


def open_article(page, servers, lang="fr", extra=""):
    url = servers.page_url(f"article-{lang}", extra + THREAD, lang=lang)
    page.goto(url)
    page.wait_for_selector(W + "textarea[name=body]")
    return url


def stored(model):
    db.session.rollback()
    return list(db.session.scalars(select(model)))


def post(page, body, author="Awa", scope=W):
    # The comment field first: the form opens (name, e-mail, send) when it takes the focus.
    page.fill(scope + "textarea[name=body] >> nth=0", body)
    page.fill(scope + "input[name=author] >> nth=0", author)
    page.click(scope + "button[type=submit] >> nth=0")


def test_widget_renders_in_open_shadow_root_untouched_by_hostile_css(page, servers):
    open_article(page, servers)

    styles = page.evaluate("""() => {
        const root = document.getElementById('engage-thread').shadowRoot;
        const textarea = root.querySelector('textarea[name=body]');
        const submit = root.querySelector('button[type=submit]');
        const s = getComputedStyle(textarea);
        return {mode: root.mode, display: s.display, color: getComputedStyle(submit).color,
                font: parseFloat(s.fontSize), spacing: s.letterSpacing,
                visible: textarea.getBoundingClientRect().height > 40};
    }""")

    assert styles["mode"] == "open"
    assert styles["display"] != "none" and styles["visible"]
    assert styles["font"] >= 14 and styles["spacing"] in ("normal", "0px")
    assert styles["color"] != "rgb(255, 0, 255)"
    page.focus(W + "textarea[name=body]")  # the form opens
    for selector in (
        "input[name=author]",
        "input[name=email]",
        "button[type=submit]",
        "[data-reaction=love]",
        "[data-network=whatsapp]",
    ):
        assert page.locator(W + selector).first.is_visible()


def test_widget_speaks_french_for_lang_fr(page, servers):
    open_article(page, servers, lang="fr")

    text = page.locator(W + "section.engage").inner_text()

    for phrase in ("Écrire un commentaire…", "J’adore", "Copier le lien", "Plus anciens"):
        assert phrase in text or page.locator(W + f'[placeholder="{phrase}"]').count()
    page.focus(W + "textarea[name=body]")
    text = page.locator(W + "section.engage").inner_text()
    for phrase in ("Publier", "Votre commentaire", "Pour mettre en forme\u00a0: *italique*"):
        assert phrase in text


def test_widget_speaks_english_for_lang_en(page, servers):
    open_article(page, servers, lang="en")

    assert "Your comment" in page.locator(W + "section.engage").inner_text()


def test_post_comment_appears_at_once_and_reaches_database(page, servers):
    open_article(page, servers)

    post(page, "Très **bonne** analyse « à chaud » 🇫🇷", author="Noémie")

    comment = page.locator(W + "li.comment").first
    comment.wait_for()
    assert "Noémie" in comment.inner_text()
    assert comment.locator("strong").inner_text() == "bonne"
    assert "1 commentaire" in page.locator(W + "h2").inner_text()
    (row,) = stored(Comment)
    assert row.author == "Noémie" and row.status == CommentStatus.APPROVED
    assert page.locator(W + "textarea[name=body]").first.input_value() == ""


def test_post_comment_with_errors_shows_them_inline(page, servers):
    page.expected_problems.append("status of 400")
    open_article(page, servers)

    page.click(W + "textarea[name=body]")
    page.click(W + "button[type=submit]")

    page.locator(W + "[aria-invalid=true]").first.wait_for()
    assert page.locator(W + "textarea[name=body]").first.get_attribute("aria-invalid") == "true"
    assert "Vérifiez les champs" in page.locator(W + "form.compose").first.inner_text()
    assert stored(Comment) == []


def test_pending_comment_is_marked_awaiting_moderation(page, servers):
    from engage.models import Site

    site = db.session.scalar(select(Site))
    site.settings = {"moderation": "pre"}
    db.session.commit()
    open_article(page, servers)

    post(page, "À modérer")

    page.locator(W + ".badge.wait").wait_for()
    assert "En attente de modération" in page.locator(W + "li.comment").first.inner_text()


def test_form_sent_by_a_robot_at_once_is_held(page, servers):
    from engage.models import Site

    site = db.session.scalar(select(Site))
    site.settings = {}  # the default: 3 seconds at least between showing and sending
    db.session.commit()
    open_article(page, servers)

    post(page, "Publié à la vitesse d’un robot")

    page.locator(W + ".badge.wait").wait_for()
    (row,) = stored(Comment)
    assert row.status == CommentStatus.PENDING and row.held_reason.startswith("sent ")


def test_reply_edit_and_delete_work_end_to_end(page, servers):
    open_article(page, servers)
    post(page, "Premier avis")
    first = page.locator(W + "li.comment").first
    first.wait_for()

    first.locator("button", has_text="Répondre").click()
    reply_form = first.locator(".slot form")
    reply_form.locator("textarea[name=body]").fill("Une réponse")
    reply_form.locator("button[type=submit]").click()
    reply = first.locator(".replies li.comment").first
    reply.wait_for()
    assert "Une réponse" in reply.inner_text()

    reply.locator("button", has_text="Modifier").click()
    reply.locator(".slot textarea").fill("Une réponse *corrigée*")
    reply.locator(".slot button[type=submit]").click()
    reply.locator(".body em").wait_for()

    first.locator("> article button", has_text="Supprimer").click()
    first.locator(".confirm button.danger").click()
    page.locator(W + ".tombstone").wait_for()

    rows = {c.body_source: c for c in stored(Comment)}
    assert rows["Une réponse *corrigée*"].parent_id is not None
    assert rows["Une réponse *corrigée*"].edited_at is not None
    assert any(c.status == CommentStatus.DELETED for c in rows.values())
    page.reload()
    page.locator(W + ".tombstone").wait_for()
    assert "corrigée" in page.locator(W + "li.comment").first.inner_text()


def test_more_replies_button_shows_the_rest_under_the_right_comments(page, servers):
    site = db.session.scalar(select(Site))
    thread = make_thread(site, ARTICLE)
    top = make_comment(thread, body="Le sujet")
    replies = [make_comment(thread, parent=top, body=f"Réponse n°{i}") for i in range(14)]
    reply = replies[-1]
    answer = make_comment(thread, parent=reply, body="Réponse à la dernière")
    db.session.commit()
    open_article(page, servers)
    first = page.locator(W + "li.comment").first
    first.wait_for()
    assert first.locator(".replies li.comment").count() == 10

    more = first.locator("button.more-replies")
    assert more.inner_text() == "Afficher 5 autres réponses"
    more.scroll_into_view_if_needed()
    screenshot(page, "more-replies-fr")
    more.click()
    last = first.locator(f'[data-comment-id="{answer.id}"]')
    last.wait_for()

    assert first.locator(":scope > .replies > li.comment").count() == 14
    assert last.locator("xpath=../..").get_attribute("data-comment-id") == str(reply.id)
    assert first.locator("button.more-replies").count() == 0
    focused = page.evaluate("document.querySelector('#engage-thread').shadowRoot.activeElement"
                            ".closest('li').dataset.commentId")
    assert int(focused) == replies[10].id  # the keyboard goes on where the reading does


def test_more_replies_that_fail_keep_the_focus_and_say_why(page, servers):
    site = db.session.scalar(select(Site))
    thread = make_thread(site, ARTICLE)
    top = make_comment(thread, body="Le sujet")
    for i in range(12):
        make_comment(thread, parent=top, body=f"Réponse n°{i}")
    db.session.commit()
    failures = []

    def unavailable(route):
        failures.append(route.request.url)
        route.fulfill(status=503, content_type="application/json", body=json.dumps(
            {"error": {"code": "unavailable", "message": "Down.", "fields": {}}}))

    page.expected_problems.append("status of 503")
    open_article(page, servers)
    page.route("**/api/v1/replies**", unavailable)
    more = page.locator(W + "button.more-replies")
    more.focus()
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelector('#engage-thread').shadowRoot"
                           ".querySelector('[role=status]').textContent.length > 0")

    assert failures and "Le service ne répond pas" in page.locator(W + "[role=status]").inner_text()
    assert page.evaluate("document.querySelector('#engage-thread').shadowRoot.activeElement"
                         ".classList.contains('more-replies')")
    page.unroute("**/api/v1/replies**")
    page.keyboard.press("Enter")  # once more, now that it answers
    page.locator(W + ".replies li.comment >> nth=11").wait_for()
    assert page.locator(W + "button.more-replies").count() == 0


def test_reaction_like_and_share_are_counted(page, servers):
    open_article(page, servers)
    post(page, "À aimer")
    page.locator(W + "li.comment").first.wait_for()

    love = page.locator(W + "[data-reaction=love]")
    love.click()
    page.wait_for_function("""() => document.getElementById('engage-thread').shadowRoot
        .querySelector('[data-reaction=love]').getAttribute('aria-pressed') === 'true'""")
    assert "1" in love.inner_text()

    like = page.locator(W + "li.comment button.like").first
    like.click()
    page.wait_for_function("""() => document.getElementById('engage-thread').shadowRoot
        .querySelector('button.like').getAttribute('aria-pressed') === 'true'""")

    with page.context.expect_page() as popup:
        page.locator(W + "[data-network=whatsapp]").click()
    popup.value.close()
    page.locator(W + "[data-network=copy]").click()
    page.locator(W + "[data-network=copy]", has_text="Lien copié").wait_for()
    page.locator(W + ".shares .total", has_text="2 partages").wait_for()

    assert [r.reaction.value for r in stored(ArticleReaction)] == ["love"]
    assert len(stored(CommentLike)) == 1
    assert sorted(s.network.value for s in stored(Share)) == ["copy", "whatsapp"]
    thread = stored(Thread)[0]
    assert thread.reactions_love == 1 and thread.shares_whatsapp == 1
    assert page.evaluate("navigator.clipboard.readText()").endswith("/article-fr")


def test_report_menu_sends_reason_and_note(page, servers):
    open_article(page, servers)
    post(page, "À signaler")
    comment = page.locator(W + "li.comment").first
    comment.wait_for()

    comment.locator("button", has_text="Signaler").click()
    comment.locator("input[value=illegal]").check()
    comment.locator("textarea[name=note]").fill("Diffamation manifeste")
    comment.locator("button[type=submit]").click()
    comment.locator(".slot .status").wait_for()

    (flag,) = stored(Flag)
    assert flag.reason.value == "illegal" and flag.note == "Diffamation manifeste"


XSS_AUTHOR = '<img src=x onerror="window.__xss=1">'
XSS_BODIES = [
    "<script>window.__xss=1</script>",
    '<img src=x onerror="window.__xss=1">',
    "[clic](javascript:window.__xss=1)",
    '<svg onload="window.__xss=1"></svg>',
    '<a href="javascript:window.__xss=1">lien</a>',
]


def test_xss_in_names_and_bodies_executes_nothing(page, servers):
    open_article(page, servers)
    for n, body in enumerate(XSS_BODIES):
        post(page, body, author=XSS_AUTHOR)
        # The next one only once this one is listed: the form empties itself on success.
        page.wait_for_selector(W + f"li.comment >> nth={n}")
    page.reload()
    page.wait_for_selector(W + "li.comment >> nth=4")
    for link in page.locator(W + ".body a").all():
        href = link.get_attribute("href") or ""
        assert not href.lower().startswith("javascript")
        link.click(modifiers=["Control"]) if href.startswith("http") else None

    assert page.evaluate("window.__xss") is None
    assert XSS_AUTHOR in page.locator(W + ".author").first.inner_text()
    assert page.locator(W + ".body img, .body script, .body svg").count() == 0


def test_xss_in_article_title_and_url_attributes_executes_nothing(page, servers):
    vector = '"><img src=x onerror="window.__xss=1">'
    container = (
        f'<div id="engage-thread" data-engage-article="xss/{vector.replace(chr(34), "&quot;")}"'
        f' data-engage-title="{vector.replace(chr(34), "&quot;")}"></div>'
    )
    page.goto(servers.page_url("xss-attributes", container))
    page.wait_for_selector(W + "textarea[name=body]")
    post(page, "Commentaire sur une page piégée")
    page.locator(W + "li.comment").first.wait_for()
    with page.context.expect_page() as popup:
        page.locator(W + "[data-network=x]").click()
    popup.value.close()

    assert page.evaluate("window.__xss") is None
    (thread,) = stored(Thread)
    assert thread.title == vector and thread.article == f"xss/{vector}"


def test_listing_counts_come_from_one_request(page, servers):
    requests = []
    page.on("request", lambda r: "/api/v1/counts" in r.url and requests.append(r.url))
    open_article(page, servers)
    post(page, "Un")
    page.locator(W + "li.comment").first.wait_for()
    listing = "".join(f'<b data-engage-count="{a}">?</b>' for a in (ARTICLE, "autre/a", "autre/b"))
    url = servers.page_url("liste", f"<div>{listing}</div>")
    requests.clear()

    page.goto(url)
    page.wait_for_function("document.querySelector('[data-engage-count]').textContent === '1'")

    assert len(requests) == 1
    assert page.locator("[data-engage-count='autre/a']").inner_text() == "0"


def test_widget_waits_until_near_viewport(page, servers):
    calls = []
    page.on("request", lambda r: "/api/v1/thread" in r.url and calls.append(r.url))
    spacer = '<div style="height: 5000px !important; position: static !important">espace</div>'
    page.goto(servers.page_url("long", spacer + THREAD))
    page.wait_for_timeout(800)
    assert calls == []

    page.locator("#engage-thread").scroll_into_view_if_needed()
    page.wait_for_selector(W + "textarea[name=body]")

    assert len(calls) == 1


@pytest.mark.parametrize("width", [320, 375, 1280])
def test_screenshots_at_phone_and_desktop_widths(page, servers, width):
    page.set_viewport_size({"width": width, "height": 900})
    open_article(page, servers)
    post(page, "Excellent article, merci « Le Jour » ! Qu’en pensent les élus ?", author="Élodie")
    page.locator(W + "li.comment").first.wait_for()
    page.locator(W + "li.comment button", has_text="Répondre").first.click()

    path = screenshot(page, f"widget-{width}")

    assert path.stat().st_size > 10_000
    overflow = page.evaluate("""() => {
        const r = document.getElementById('engage-thread').shadowRoot.querySelector('section');
        return r.scrollWidth - r.clientWidth;
    }""")
    assert overflow <= 0
    assert re.search(r"\d", page.locator(W + "h2").inner_text())


@pytest.mark.parametrize(("address", "article"), [
    ("/?p=123", "/?p=123"),  # WordPress's plain permalinks: the query names the post
    ("/?page_id=5&lang=fr", "/?page_id=5&lang=fr"),
    ("/politique/?utm_source=newsletter", "/politique/"),
])
def test_article_id_is_the_path_with_a_plain_permalinks_query(page, servers, address, article):
    # As `engage import wordpress` keys the threads it brings (engage/importers/wxr.py).
    from engage.importers.wxr import article_of
    from engage.models import Site

    assert article_of(f"https://lejour.fr{address}") == article
    site = db.session.scalar(select(Site).where(Site.key == "hostile"))
    make_comment(make_thread(site, article), "Importé « d’hier »")
    db.session.commit()
    # No data-engage-article: the widget finds the id itself. The host serves by path.
    servers.host_site.pages[address.split("?")[0]] = host_page(
        servers.engage, '<div id="engage-thread"></div>')

    page.goto(servers.host + address)

    page.wait_for_selector(W + "text=Importé « d’hier »")
