"""The thread while the page stays open: the widget asks again with If-None-Match (30 s after
its last look, twice as late while nothing changes, up to 5 min, never while the tab is
hidden) and shows what changed without moving the page under the reader."""

from __future__ import annotations

from typing import Any

import pytest

from engage.extensions import db
from tests.browser.conftest import SITE_KEY, screenshot
from tests.browser.test_widget import ARTICLE, THREAD, W, post
from tests.browser.test_widget_design import violations
from tests.browser.test_widget_reader import focused, thread_of
from tests.factories import make_comment

pytestmark = pytest.mark.browser


class ThreadReads:
    """What the engage server is asked for the thread: (If-None-Match, status) per request,
    seen outside every layer of the app, read cache included."""

    def __init__(self, app: Any) -> None:
        self.seen: list[tuple[str | None, int]] = []
        self._inner = app.wsgi_app
        app.wsgi_app = self

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if environ["PATH_INFO"] != "/api/v1/thread":
            return self._inner(environ, start_response)

        def noting(status: str, headers: Any, *rest: Any) -> Any:
            self.seen.append((environ.get("HTTP_IF_NONE_MATCH"), int(status.split()[0])))
            return start_response(status, headers, *rest)

        return self._inner(environ, noting)


@pytest.fixture
def reads(app):
    return ThreadReads(app)


def control_time(page):
    """The page's timers under the test's control, and no random delay added to its looks
    (the widget adds up to a quarter, so that readers spread out)."""
    page.clock.install()
    page.add_init_script("Math.random = () => 0;")


def open_with_clock(page, servers, name="direct"):
    """Open the article with the page's timers under the test's control."""
    control_time(page)
    page.goto(servers.page_url(name, THREAD))
    page.locator(W + "textarea[name=body]").wait_for()


def later(page, seconds):
    page.clock.run_for(seconds * 1000)
    page.wait_for_timeout(150)  # real time for the request the timer started


def set_hidden(page, hidden):
    page.evaluate("""(hidden) => {
        Object.defineProperty(document, 'hidden', {value: hidden, configurable: true});
        Object.defineProperty(document, 'visibilityState',
                              {value: hidden ? 'hidden' : 'visible', configurable: true});
        document.dispatchEvent(new Event('visibilitychange', {bubbles: true}));  // as browsers do
    }""", hidden)


def test_a_second_readers_comment_brings_the_bar_to_the_first(browser, page, servers, reads):
    open_with_clock(page, servers)
    post(page, "Premier avis, « posé »", author="Awa")
    page.locator(W + "li.comment").first.wait_for()
    other = browser.new_context()
    second = other.new_page()
    second.goto(servers.host + "/direct")
    second.locator(W + "li.comment").first.wait_for()
    post(second, "Un deuxième lecteur répond", author="Bintou")
    second.locator(W + "li.comment", has_text="deuxième").wait_for()
    other.close()
    bar = page.locator(W + "button.news")
    assert bar.is_hidden()

    later(page, 31)

    bar.wait_for()
    assert bar.inner_text() == "1 nouveau commentaire — Afficher"
    # Nothing moved under the reader: the list is as it was until they ask.
    assert page.locator(W + "li.comment").count() == 1
    live = page.locator(W + "[role=status][aria-live=polite]")
    page.wait_for_function("""() => document.getElementById('engage-thread').shadowRoot
        .querySelector('[aria-live=polite]').textContent.includes('nouveau commentaire')""")
    assert "1 nouveau commentaire" in live.inner_text()
    # The browser revalidated: the server was sent the page's ETag.
    assert reads.seen[-1][0] is not None

    bar.click()

    page.locator(W + "li.comment", has_text="deuxième").wait_for()
    assert bar.is_hidden()
    assert page.locator(W + "li.comment").count() == 2
    assert focused(page).startswith("article:") and "deuxième" in focused(page)
    assert page.locator(W + "h2.title").inner_text() == "2 commentaires"


def test_nothing_new_costs_a_304_and_the_looks_space_out(page, servers, reads):
    open_with_clock(page, servers)
    assert len(reads.seen) == 1

    later(page, 31)
    assert len(reads.seen) == 2
    tag, status = reads.seen[-1]
    assert tag is not None and status == 304

    # Nothing changed: the next look comes 60 s later, not 30.
    later(page, 40)
    assert len(reads.seen) == 2
    later(page, 25)
    assert len(reads.seen) == 3 and reads.seen[-1][1] == 304

    # 120 s, 240 s, then never more than 5 min apart.
    later(page, 125)
    later(page, 245)
    assert len(reads.seen) == 5
    later(page, 301)
    later(page, 301)
    assert len(reads.seen) == 7
    assert page.locator(W + "button.news").is_hidden()


def test_a_hidden_tab_asks_nothing_and_looks_at_once_when_shown(page, servers, reads):
    open_with_clock(page, servers)
    set_hidden(page, True)

    later(page, 31)
    later(page, 600)
    assert len(reads.seen) == 1

    set_hidden(page, False)
    page.wait_for_timeout(300)

    assert len(reads.seen) == 2  # at once, not a timer's length later
    later(page, 61)
    assert len(reads.seen) == 3  # and on again (60 s: that look found nothing new)


def test_reactions_and_shares_from_elsewhere_update_in_place(page, servers, reads, client):
    open_with_clock(page, servers)
    ref = {"site": SITE_KEY, "article": ARTICLE, "url": servers.host + "/direct", "title": "Mali"}
    for n, reaction in enumerate(("haha", "haha", "angry")):
        answer = client.put("/api/v1/reaction", json={**ref, "reaction": reaction},
                            headers={"X-Engage-Reader": f"lecteur-{n}".ljust(24, "x")})
        assert answer.status_code == 200, answer.get_json()
    answer = client.post("/api/v1/shares", json={**ref, "network": "x"},
                         headers={"X-Engage-Reader": "lecteur-x".ljust(24, "x")})
    assert answer.status_code < 300, answer.get_json()

    later(page, 31)

    page.wait_for_function("""() => document.getElementById('engage-thread').shadowRoot
        .querySelector('[data-reaction=haha] .count').textContent === '2'""")
    assert page.locator(W + "[data-reaction=angry] .count").inner_text() == "1"
    assert page.locator(W + ".total").inner_text() == "1 partage"
    assert page.locator(W + "button.news").is_hidden()  # no new comment, no bar


def comment_from_elsewhere(client, body, author="Bintou"):
    answer = client.post("/api/v1/comments", json={
        "site": SITE_KEY, "article": ARTICLE, "url": "https://lejourpile.fr/" + ARTICLE,
        "title": "Mali", "author": author, "body": body,
    }, headers={"X-Engage-Reader": f"reader-{abs(hash(author))}".ljust(24, "x")})
    assert answer.status_code == 201, answer.get_json()


@pytest.mark.parametrize("width", [320, 375, 1280])
@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_bar_reads_well_everywhere(page, servers, client, width, dark, lang):
    thread = thread_of()
    for n in range(8):  # a thread longer than the screen
        make_comment(thread, f"Avis n° {n + 1} : l’article oublie le contexte régional.",
                     author=f"Lectrice {n + 1}")
    db.session.commit()
    page.set_viewport_size({"width": width, "height": 800})
    page.emulate_media(color_scheme="dark" if dark else "light")
    control_time(page)
    page.goto(servers.page_url(f"bar-{lang}", THREAD.replace(
        "data-engage-article", 'data-engage-theme="auto" data-engage-article'), lang=lang,
        hostile=False))
    page.locator(W + "li.comment").first.wait_for()
    for n in range(3):
        comment_from_elsewhere(client, f"Un avis de plus, le numéro {n + 1}.",
                               author=f"Lecteur {n}")

    later(page, 31)

    bar = page.locator(W + "button.news")
    bar.wait_for()
    expected = "3 nouveaux commentaires — Afficher" if lang == "fr" else "3 new comments — Show"
    assert bar.inner_text() == expected
    assert violations(page) == []
    page.locator(W + "li.comment").first.scroll_into_view_if_needed()
    path = screenshot(page, f"live-bar-{lang}-{width}-{'dark' if dark else 'light'}")
    assert path.stat().st_size > 10_000
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    # In view while the reader scrolls down the thread: it sticks to the top of the screen.
    page.locator(W + "li.comment").last.scroll_into_view_if_needed()
    page.locator(W + "button.more, li.comment >> nth=-1").last.evaluate(
        "el => el.scrollIntoView({block: 'end'})")
    box = bar.bounding_box()
    assert box is not None and 0 <= box["y"] and box["y"] + box["height"] <= 800


def test_looks_come_up_to_a_quarter_late_and_tab_switches_do_not_multiply_them(page, servers,
                                                                                 reads):
    page.clock.install()
    page.add_init_script("Math.random = () => 0.999;")  # the latest the widget may look
    page.goto(servers.page_url("jitter", THREAD))
    page.locator(W + "textarea[name=body]").wait_for()

    later(page, 37)
    assert len(reads.seen) == 1  # 30 s and up to a quarter more: not yet
    later(page, 1)
    assert len(reads.seen) == 2

    for _ in range(5):  # a reader flicking between tabs
        set_hidden(page, True)
        set_hidden(page, False)
    page.wait_for_timeout(200)
    assert len(reads.seen) == 2  # the last look was a moment ago: no new one
