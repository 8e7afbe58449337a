"""The designed widget, as readers see and use it: compact reactions, icon share bar, collapsed
form, avatars, editors' picks, deep replies on a phone, permalinks; checked by axe-core in every
state, by keyboard alone, and photographed at phone and desktop widths, light and dark."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engage.extensions import db
from engage.models import Comment, Site
from tests.browser.axe import axe_violations
from tests.browser.conftest import screenshot
from tests.browser.test_widget import ARTICLE, THREAD, W, post, stored
from tests.factories import make_comment, make_thread

pytestmark = pytest.mark.browser


def seed(depth: int = 5) -> dict[str, Comment]:
    """A thread as a newsroom has them: an editors' pick, plain comments, a deep reply chain."""
    site = db.session.scalar(select(Site))
    thread = make_thread(site, ARTICLE, title="Mali : la Russie renforce sa présence")
    pick = make_comment(thread, "Analyse **très** juste : la junte a besoin d’alliés.",
                        author="Marie-Hélène Dupont", featured=True)
    first = make_comment(thread, "Et l’Europe, dans tout ça ?", author="Jean-Baptiste")
    chain = [first]
    for level in range(depth):
        body = f"Réponse de niveau {level + 1} : je ne suis pas d’accord."
        chain.append(make_comment(thread, body, parent=chain[-1], author=f"Lecteur {level + 1}"))
    make_comment(thread, "Merci pour cet article.", author="Awa Diallo", like_count=3)
    db.session.commit()
    return {"pick": pick, "first": first, "deepest": chain[-1]}


def open_thread(page, servers, lang="fr", width=1280, dark=False, name="design"):
    page.set_viewport_size({"width": width, "height": 900})
    page.emulate_media(color_scheme="dark" if dark else "light")
    page.goto(servers.page_url(f"{name}-{lang}", THREAD.replace(
        'data-engage-article', 'data-engage-theme="auto" data-engage-article'), lang=lang,
        hostile=False))
    page.locator(W + "li.comment").first.wait_for()


def test_editors_picks_come_first_in_their_own_section(page, servers):
    comments = seed()
    open_thread(page, servers)

    picks = page.locator(W + "section.picks")
    assert picks.is_visible()
    assert picks.locator("h3").inner_text() == "Choix de la rédaction"
    assert picks.locator("li.comment").count() == 1
    assert picks.locator(f"#comment-{comments['pick'].id}").count() == 1
    # Not twice, and the main list starts with the others.
    assert page.locator(W + f"#comment-{comments['pick'].id}").count() == 1
    first_listed = page.locator(W + "ol.comments:not(section.picks ol) > li.comment").first
    assert first_listed.get_attribute("id") == f"comment-{comments['first'].id}"
    assert page.get_by_role("region", name="Choix de la rédaction").count() == 1


def test_no_picks_no_section(page, servers):
    site = db.session.scalar(select(Site))
    make_comment(make_thread(site, ARTICLE), "Un avis")
    db.session.commit()
    open_thread(page, servers)

    assert not page.locator(W + "section.picks").is_visible()


def test_avatars_are_initials_on_a_colour_of_the_name_and_fetch_nothing(page, servers):
    seed()
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    open_thread(page, servers)

    pick = page.locator(W + "section.picks .avatar")
    assert pick.inner_text() == "MD"
    assert pick.get_attribute("aria-hidden") == "true"
    colours = page.evaluate("""() => [...document.getElementById('engage-thread').shadowRoot
        .querySelectorAll('.avatar')].map((a) => getComputedStyle(a).backgroundColor)""")
    assert len(set(colours)) > 3  # drawn from each name
    # Every request goes to the page's own server or to engage: no Gravatar, no CDN.
    assert all(url.startswith((servers.host, servers.engage)) for url in requests), requests


def test_time_is_a_permalink_with_the_full_date_on_focus(page, servers):
    comments = seed()
    open_thread(page, servers)

    link = page.locator(W + f"#comment-{comments['first'].id} > article a.when")
    assert link.get_attribute("href") == f"#comment-{comments['first'].id}"
    tip = link.locator(".tip")
    assert tip.bounding_box()["width"] <= 1  # hidden until asked for
    link.focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")  # :focus-visible comes with the keyboard
    assert tip.bounding_box()["width"] > 50
    assert "2026" in tip.inner_text() or str(comments["first"].created_at.year) in tip.inner_text()
    link.click()
    assert page.evaluate("location.hash") == f"#comment-{comments['first'].id}"
    page.locator(W + f"#comment-{comments['first'].id}.is-linked").wait_for()


def test_reactions_fit_one_row_on_a_phone_and_zero_says_nothing(page, servers):
    seed()
    open_thread(page, servers, width=320)

    tops = page.evaluate("""() => [...document.getElementById('engage-thread').shadowRoot
        .querySelectorAll('[data-reaction]')].map((b) => b.getBoundingClientRect().top)""")
    assert len(tops) == 6 and len(set(tops)) == 1
    love = page.get_by_role("button", name="J’adore")
    assert love.count() == 1 and love.locator(".count").inner_text() == ""
    love.click()
    page.get_by_role("button", name="J’adore 1").wait_for()
    assert love.get_attribute("aria-pressed") == "true"


def test_share_icons_have_names_and_the_total_reads_as_words(page, servers):
    seed()
    open_thread(page, servers)

    for name in ("Facebook", "X", "WhatsApp", "LinkedIn", "Telegram", "E-mail"):
        link = page.get_by_role("link", name=name, exact=True)
        assert link.count() == 1 and link.locator("svg").count() == 1
    copy = page.get_by_role("button", name="Copier le lien")
    copy.click()
    page.locator(W + ".shares .total", has_text="1 partage").wait_for()
    assert page.locator(W + ".shares .total").inner_text() == "1\u202fpartage" or \
        page.locator(W + ".shares .total").inner_text() == "1 partage"


def test_comment_form_waits_as_one_field_and_opens_on_focus(page, servers):
    seed()
    open_thread(page, servers, width=375)
    form = page.locator(W + "form.compose").first
    body = form.locator("textarea[name=body]")

    assert body.get_attribute("placeholder") == "Écrire un commentaire…"
    assert body.bounding_box()["height"] < 50
    assert not form.locator("input[name=author]").is_visible()
    assert not form.locator("button[type=submit]").is_visible()
    assert page.get_by_role("textbox", name="Votre commentaire").count() == 1

    body.focus()
    assert form.locator("input[name=author]").is_visible()
    assert "*italique*" in form.locator(".hint").first.inner_text()  # the hint, in plain words
    post(page, "Un avis posté", author="Noé")
    page.locator(W + "li.comment", has_text="Un avis posté").wait_for()
    assert "collapsed" in form.get_attribute("class")  # back to one line
    assert [c.author for c in stored(Comment) if c.body_source == "Un avis posté"] == ["Noé"]


@pytest.mark.parametrize("width", [320, 375])
def test_five_levels_of_replies_stay_readable_on_a_phone(page, servers, width):
    comments = seed(depth=5)
    open_thread(page, servers, width=width)

    widths = page.evaluate("""(id) => {
        const root = document.getElementById('engage-thread').shadowRoot;
        const section = root.querySelector('section.engage');
        const body = root.querySelector(`#comment-${id} > article .body`);
        return [section.clientWidth, body.getBoundingClientRect().width,
                section.scrollWidth - section.clientWidth];
    }""", comments["deepest"].id)
    widget, deepest, overflow = widths
    assert deepest >= 0.7 * widget, widths  # indentation costs at most 30% at depth 5
    assert overflow <= 0
    page.locator(W + f"#comment-{comments['deepest'].id}").scroll_into_view_if_needed()
    screenshot(page, f"widget-depth5-{width}")


def test_post_reply_and_edit_by_keyboard_alone(page, servers):
    seed()
    open_thread(page, servers)
    root = "document.getElementById('engage-thread').shadowRoot"

    def focused() -> str:
        return page.evaluate(f"""() => {{ const el = {root}.activeElement;
            return el ? (el.name || el.textContent.trim().slice(0, 20)) : ''; }}""")

    # A new comment: focus the field, type, Tab through name and e-mail, Enter on "Publier".
    page.focus(W + "form.compose textarea[name=body]")
    page.keyboard.type("Écrit au clavier")
    page.keyboard.press("Tab")
    assert focused() == "author"
    page.keyboard.type("Clavier")
    page.keyboard.press("Tab")
    assert focused() == "email"
    page.keyboard.press("Tab")
    assert focused() == "Publier"
    page.keyboard.press("Enter")
    mine = page.locator(W + "li.comment", has_text="Écrit au clavier")
    mine.wait_for()
    on_body = "document.activeElement === document.body"
    assert not page.evaluate(on_body)
    assert "Écrit au clavier" in page.evaluate(f"{root}.activeElement.closest('li').textContent")

    # A reply: Tab to "Répondre", Enter, the focus is in the reply's field.
    mine.locator("button", has_text="Répondre").focus()
    page.keyboard.press("Enter")
    assert focused() == "body"
    page.keyboard.type("Réponse au clavier")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # past the name (remembered) and the e-mail
    assert focused() == "Publier"
    page.keyboard.press("Enter")
    reply = mine.locator(".replies li.comment", has_text="Réponse au clavier")
    reply.wait_for()
    where = page.evaluate(f"{root}.activeElement.closest('li').textContent")
    assert "Réponse au clavier" in where  # the focus is on the new reply

    # An edit: "Modifier", Enter, the text is there to change, Escape would cancel.
    reply.locator("button", has_text="Modifier").focus()
    page.keyboard.press("Enter")
    # The edit form comes with panels.js, fetched at the first edit: then the text has focus.
    page.wait_for_function(f"() => {root}.activeElement?.name === 'body'", timeout=5000)
    page.keyboard.press("End")
    page.keyboard.type(" (corrigé)")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    reply.locator(".body", has_text="(corrigé)").wait_for()
    assert focused() == "Modifier" and not page.evaluate(on_body)  # back where the edit began
    assert any(c.body_source == "Réponse au clavier (corrigé)" for c in stored(Comment))


# --- axe-core in every state ---------------------------------------------------------------

def violations(page) -> list[str]:
    return axe_violations(page, "#engage-thread")


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_no_wcag_violation_when_loaded_and_with_panels_open(page, servers, lang, dark):
    seed()
    open_thread(page, servers, lang=lang, dark=dark)
    theme = page.locator(W + "section.engage").get_attribute("data-theme")
    assert theme == ("dark" if dark else "light")
    assert violations(page) == []

    page.focus(W + "form.compose textarea[name=body]")  # the form opened
    assert violations(page) == []

    reply = "Répondre" if lang == "fr" else "Reply"
    page.locator(W + "li.comment button", has_text=reply).first.click()
    assert violations(page) == []

    report = "Signaler" if lang == "fr" else "Report"
    page.locator(W + "li.comment button", has_text=report).nth(1).click()
    assert violations(page) == []

    page.locator(W + "form.compose textarea[name=body]").first.focus()
    page.locator(W + "form.compose button[type=submit]").first.click()  # empty: errors shown
    page.locator(W + "form.compose [aria-invalid=true]").first.wait_for()
    page.expected_problems.append("status of 400")
    assert violations(page) == []


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_no_wcag_violation_in_delete_confirmation_and_pending_comment(page, servers, dark):
    site = db.session.scalar(select(Site))
    site.settings = {"moderation": "pre"}
    db.session.commit()
    seed()
    open_thread(page, servers, dark=dark)
    post(page, "En attente")
    page.locator(W + ".badge.wait").wait_for()
    mine = page.locator(W + "li.comment", has_text="En attente")
    mine.locator("button", has_text="Supprimer").click()
    page.locator(W + ".confirm").wait_for()
    assert violations(page) == []


@pytest.mark.parametrize("state", ["forbidden_origin", "unavailable", "closed"])
def test_no_wcag_violation_in_error_states(page, servers, state):
    import json

    site = db.session.scalar(select(Site))
    thread = make_thread(site, ARTICLE)
    make_comment(thread, "Un avis")
    if state == "closed":
        thread.is_open = False
    db.session.commit()
    if state != "closed":
        page.expected_problems += ["403", "503", "is not an origin"]
        page.route("**/api/v1/thread**", lambda route: route.fulfill(
            status=403 if state == "forbidden_origin" else 503, content_type="application/json",
            body=json.dumps({"error": {"code": state, "message": "No.", "fields": {}}})))
    page.goto(servers.page_url(f"error-{state}", THREAD, hostile=False))
    page.locator(W + ".status").first.wait_for()
    assert violations(page) == []


# --- how it looks --------------------------------------------------------------------------

@pytest.mark.parametrize("width", [320, 375, 1280])
@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_screenshots(page, servers, width, dark, lang):
    seed(depth=3)
    open_thread(page, servers, lang=lang, width=width, dark=dark)
    page.locator(W + "[data-reaction=love]").click()
    page.locator(W + "[data-reaction=love][aria-pressed=true]").wait_for()

    path = screenshot(page, f"design-{lang}-{width}-{'dark' if dark else 'light'}")

    assert path.stat().st_size > 10_000
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
