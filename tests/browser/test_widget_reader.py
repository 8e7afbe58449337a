"""The widget as a reader and a site owner meet it: errors that say what to fix, closed
threads, sorting, reports remembered, the keyboard kept on the page, theme and counts."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engage.extensions import db
from engage.models import Comment, Site, Subscriber, Thread
from engage.services.sites import set_options
from tests.browser.conftest import SITE_KEY
from tests.browser.test_widget import ARTICLE, THREAD, W, open_article, post, stored
from tests.factories import make_comment, make_thread

pytestmark = pytest.mark.browser


def thread_of(article=ARTICLE, **kw):
    return make_thread(db.session.scalar(select(Site).where(Site.key == SITE_KEY)), article, **kw)


def focused(page):
    """Where the keyboard is, through the shadow root: the tag and its text."""
    return page.evaluate("""() => {
        let el = document.activeElement;
        while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
        if (!el) return 'none';
        return el.tagName.toLowerCase() + ':' + (el.textContent || '').trim().slice(0, 60);
    }""")


def test_unregistered_origin_says_so_and_tells_the_owner_the_command(page, servers):
    warnings = []
    page.on("console", lambda m: m.type == "warning" and warnings.append(m.text))
    page.expected_problems = ["403", "is not an origin"]
    # Registered for localhost; the same page from 127.0.0.1 is another origin.
    url = servers.page_url("ailleurs", THREAD).replace("localhost", "127.0.0.1")
    page.goto(url)

    status = page.locator(W + "[role=alert]")
    status.wait_for()
    assert status.inner_text() == "Les commentaires ne sont pas ouverts sur cette page."
    origin = url.rsplit("/", 1)[0]
    assert any(f"engage site set {SITE_KEY} origin={origin}" in w for w in warnings), warnings


def test_unknown_site_key_has_its_own_message(page, servers):
    page.expected_problems = ["404", "no site"]
    page.goto(servers.page_url("cle", THREAD))
    page.evaluate("""() => {
        const s = document.createElement('script');
        s.src = document.querySelector('script[data-engage-site]').src;
        s.dataset.engageSite = 'inconnu';
        document.getElementById('engage-thread').remove();
        const c = document.createElement('div'); c.id = 'engage-thread';
        c.dataset.engageArticle = 'x'; document.body.append(c); document.body.append(s);
    }""")
    page.wait_for_function("""() => {
        const r = document.getElementById('engage-thread').shadowRoot;
        return r && r.querySelector('[role=alert]');
    }""")
    text = page.locator(W + "[role=alert]").inner_text()
    assert text == "Les commentaires ne sont pas configurés pour ce site."


def test_closed_thread_offers_no_reply_and_says_why(page, servers):
    thread = thread_of(is_open=False)
    make_comment(thread, body="Avant la fermeture")
    db.session.commit()
    page.goto(servers.page_url("ferme", THREAD))
    page.locator(W + "li.comment").first.wait_for()

    assert page.locator(W + "button", has_text="Répondre").count() == 0
    assert page.locator(W + "textarea").count() == 0
    assert "fermés" in page.locator(W + "p.status").first.inner_text()


def test_new_comment_lands_where_the_sort_puts_it(page, servers):
    thread = thread_of()
    make_comment(thread, body="Le premier")
    db.session.commit()
    open_article(page, servers)
    post(page, "Le dernier, en bas")
    page.locator(W + "li.comment >> nth=1").wait_for()
    bodies = page.locator(W + "ol.comments > li.comment .body").all_inner_texts()
    assert bodies == ["Le premier", "Le dernier, en bas"]

    page.select_option(W + "select", "newest")
    page.wait_for_function("""() => document.getElementById('engage-thread').shadowRoot
        .querySelector('ol.comments > li .body').textContent.includes('Le dernier')""")
    post(page, "Le plus récent, en haut")
    page.wait_for_function("""() => document.getElementById('engage-thread').shadowRoot
        .querySelector('ol.comments > li .body').textContent.includes('Le plus récent')""")


def test_report_form_has_no_choice_made_and_reported_stays_marked(page, servers):
    thread = thread_of()
    make_comment(thread, body="Douteux")
    db.session.commit()
    open_article(page, servers)
    comment = page.locator(W + "li.comment").first
    comment.locator("button", has_text="Signaler").click()
    comment.locator("form.report").wait_for()  # fetched the first time (embed/panels.js)

    assert comment.locator("input[type=radio]:checked").count() == 0
    assert focused(page).startswith("input")
    comment.locator("button[type=submit]").click()  # no reason: the browser asks for one
    assert comment.locator("form.report").count() == 1
    comment.locator("input[value=spam]").check()
    comment.locator("button[type=submit]").click()
    comment.locator(".slot .status").wait_for()
    assert focused(page).startswith("p:Merci")

    page.reload()
    page.locator(W + "li.comment").first.wait_for()
    assert page.locator(W + "li.comment button", has_text="Signaler").count() == 0
    assert page.locator(W + "li.comment .done").inner_text() == "Signalé"


def test_a_report_form_that_cannot_be_fetched_says_so_and_keeps_the_focus(page, servers):
    thread = thread_of()
    make_comment(thread, body="Douteux")
    db.session.commit()
    page.expected_problems.append("ERR_FAILED")
    page.route("**/embed/panels.js*", lambda route: route.abort())
    open_article(page, servers)
    comment = page.locator(W + "li.comment").first
    comment.locator("button", has_text="Signaler").click()

    page.wait_for_function("""() => document.getElementById('engage-thread').shadowRoot
        .querySelector('[aria-live=polite]').textContent.includes('ne répond pas')""")
    assert focused(page) == "button:Signaler"
    assert comment.locator("form.report").count() == 0


def test_like_button_is_named_by_its_visible_text_and_shows_its_state_by_shape(page, servers):
    thread = thread_of()
    make_comment(thread, body="À aimer")
    db.session.commit()
    open_article(page, servers)
    like = page.locator(W + "button.like")
    before = like.inner_text()
    like.click()
    page.wait_for_function("""() => document.getElementById('engage-thread').shadowRoot
        .querySelector('button.like').getAttribute('aria-pressed') === 'true'""")

    assert like.get_attribute("aria-label") is None  # its name is what it shows
    heart = page.evaluate("""() => getComputedStyle(document.getElementById('engage-thread')
        .shadowRoot.querySelector('button.like .heart'), '::before').content""")
    assert before == "J’aime" and heart == '"♥ "'  # was ♡ before
    assert like.inner_text() == "J’aime 1"


def test_keyboard_never_falls_to_body_after_delete_and_load_more(page, servers):
    thread = thread_of()
    for n in range(52):  # a page holds 50
        make_comment(thread, body=f"Commentaire {n}")
    db.session.commit()
    open_article(page, servers)
    page.locator(W + "button.more").focus()
    page.keyboard.press("Enter")
    page.wait_for_function("""() => document.getElementById('engage-thread').shadowRoot
        .querySelectorAll('ol.comments > li').length > 50""")
    assert focused(page).startswith("article"), focused(page)

    post(page, "À effacer")
    mine = page.locator(W + "li.comment", has_text="À effacer")
    remove = mine.locator("button", has_text="Supprimer")
    remove.click()
    confirm = page.locator(W + ".confirm")
    assert confirm.get_attribute("aria-labelledby")
    page.keyboard.press("Escape")  # Escape closes the question, focus back on its button
    assert confirm.count() == 0 and focused(page) == "button:Supprimer"
    page.keyboard.press("Enter")
    page.locator(W + ".confirm button.danger").click()
    page.wait_for_function("""() => !document.getElementById('engage-thread').shadowRoot
        .textContent.includes('À effacer')""")
    assert focused(page).startswith("article"), focused(page)


@pytest.mark.parametrize(
    ("page_css", "theme"), [("", "light"), ("background:#111;color:#eee", "dark")]
)
def test_auto_theme_follows_the_page_background_not_the_reader_scheme(
    page, servers, page_css, theme
):
    container = '<div id="engage-thread" data-engage-article="a" data-engage-theme="auto"></div>'
    page.goto(servers.page_url(f"theme-{theme}", f'<div style="{page_css}">{container}</div>'))
    # The hostile test page paints every div yellow: let the page's own background show.
    page.add_style_tag(content="div { background: transparent !important }"
                       + (" body { background: #111 !important }" if theme == "dark" else ""))
    page.locator(W + "textarea").wait_for()
    page.emulate_media(color_scheme="dark")  # the reader prefers dark: the page decides

    page.wait_for_function(f"""() => document.getElementById('engage-thread').shadowRoot
        .querySelector('.engage').dataset.theme === '{theme}'""")
    assert page.locator(W + ".engage").get_attribute("data-theme") == theme


def test_listing_counts_in_long_format_use_french_plurals(page, servers):
    for article, n in (("zero", 0), ("un", 1), ("beaucoup", 5000)):
        thread = thread_of(article)
        db.session.flush()
        db.session.get(Thread, thread.id).comment_count = n
    db.session.commit()
    body = "".join(
        f'<p><span data-engage-count="{a}" data-engage-count-format="long">?</span>'
        f' · <span data-engage-count="{a}">?</span></p>'
        for a in ("zero", "un", "beaucoup")
    )
    page.goto(servers.page_url("liste", body))
    page.wait_for_function("() => ![...document.querySelectorAll('[data-engage-count]')]"
                           ".some(e => e.textContent === '?')")
    texts = page.locator("[data-engage-count]").all_inner_texts()
    many = "5\u202f000"  # a narrow no-break space between thousands
    assert texts == ["0 commentaire", "0", "1 commentaire", "1", f"{many} commentaires", many]


def test_a_reader_with_an_email_may_ask_to_be_told_of_replies(page, servers):
    open_article(page, servers)
    page.fill(W + "textarea[name=body]", "Prévenez-moi « s’il vous plaît » !")
    page.fill(W + "input[name=author]", "Awa")
    box = page.locator(W + "input[name=notify_replies]")
    assert not box.is_visible()  # nothing to be told at without an address

    page.fill(W + "input[name=email]", "awa@exemple.fr")
    assert box.is_visible()
    page.get_by_label("Me prévenir par e-mail des réponses").check()
    page.click(W + "button[type=submit]")
    page.locator(W + "li.comment").first.wait_for()

    comment = stored(Comment)[0]
    assert comment.notify_replies is True
    assert [s.email for s in stored(Subscriber)] == ["awa@exemple.fr"]


def test_a_site_without_reply_notifications_never_offers_them(page, servers):
    site = db.session.scalar(select(Site).where(Site.key == SITE_KEY))
    set_options(site, {"notify_replies": "false"})
    db.session.commit()
    open_article(page, servers)
    page.fill(W + "textarea[name=body]", "Un avis")
    page.fill(W + "input[name=email]", "awa@exemple.fr")

    assert page.locator(W + "input[name=notify_replies]").count() == 1
    assert not page.locator(W + "input[name=notify_replies]").is_visible()
