"""A page that includes GET /thread.html server-side: its comments are in the HTML for search
engines and readers without JavaScript, and the widget takes the fragment's place without a
layout jump (and leaves it in view when the API cannot be reached)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from engage.extensions import db
from engage.models import Site
from tests.browser.conftest import SITE_KEY, screenshot
from tests.browser.test_layout_shift import MEASURE_CLS
from tests.browser.test_widget import ARTICLE, W
from tests.factories import make_comment, make_thread

pytestmark = pytest.mark.browser


def page_with_fragment(page, servers, name="crawlable"):
    """The host page as a server-side include makes it: the fragment inside the container."""
    site = db.session.scalar(select(Site))
    thread = make_thread(site, ARTICLE)
    for i in range(6):
        make_comment(thread, f"Avis n°{i + 1} : l’article oublie le contexte régional.",
                     author=f"Lectrice {i + 1}")
    db.session.commit()
    fragment = page.request.get(
        f"{servers.engage}/api/v1/thread.html?site={SITE_KEY}&article={ARTICLE}").text()
    body = (f"<p>{'Un paragraphe de l’article. ' * 30}</p>"
            f'<div id="engage-thread" data-engage-article="{ARTICLE}">{fragment}</div>'
            "<footer><p>Pied de page du journal</p></footer>")
    return servers.page_url(name, body, hostile=False)


def test_fragment_is_in_the_html_and_the_widget_takes_its_place_without_a_jump(page, servers):
    url = page_with_fragment(page, servers)
    html = page.request.get(url).text()  # what a crawler or a reader without JavaScript gets
    assert "Avis n°6" in html and "Lectrice 1" in html and 'itemtype="https://schema.org/Comment"' \
        in html
    page.set_viewport_size({"width": 375, "height": 800})
    page.add_init_script(MEASURE_CLS)

    page.goto(url)
    page.locator(W + "li.comment").first.wait_for()
    page.wait_for_timeout(800)

    cls = page.evaluate("window.__cls")
    print(f"CLS {cls:.4f} with the fragment in place")
    assert cls < 0.05
    # The widget shows the thread once: the fragment is no longer drawn.
    assert not page.locator("#engage-thread > section.engage-static").is_visible()
    assert page.locator(W + "li.comment").count() == 6
    screenshot(page, "crawlable-375")


def test_fragment_stays_in_view_when_the_api_cannot_be_reached(page, servers):
    url = page_with_fragment(page, servers, "crawlable-down")
    page.expected_problems.append("status of 503")
    page.route("**/api/v1/thread?**", lambda route: route.fulfill(
        status=503, content_type="application/json",
        body=json.dumps({"error": {"code": "unavailable", "message": "Down.", "fields": {}}})))

    page.goto(url)
    page.locator(W + "[role=alert]").wait_for()

    assert "Le service ne répond pas" in page.locator(W + "[role=alert]").inner_text()
    assert page.locator("#engage-thread > section.engage-static").is_visible()
    assert page.get_by_text("Avis n°6").is_visible()
