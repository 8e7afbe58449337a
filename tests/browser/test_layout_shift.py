"""Mounting the widget does not push the page about: cumulative layout shift (CLS, as Chrome
reports it to PerformanceObserver) under 0.05 on the demo's short and long articles, on a
phone and on a desktop. The container reserves the widget's usual height (README, "Layout")."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engage.extensions import db
from engage.models import Site
from tests.browser.test_widget import W
from tests.factories import make_comment, make_site, make_thread

pytestmark = pytest.mark.browser

SHORT, LONG = "2026/11/marche-de-noel", "2026/11/budget-municipal"

# Sums every shift not caused by the reader's own input, from the start of the page's life.
MEASURE_CLS = """
window.__cls = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) if (!entry.hadRecentInput) window.__cls += entry.value;
}).observe({ type: "layout-shift", buffered: true });
"""


@pytest.fixture
def app_config():
    return {"ENGAGE_DEMO": True, "ENGAGE_DEMO_SITE": "demo"}


def demo_site(servers, article: str, comments: int) -> None:
    site = db.session.scalar(select(Site).where(Site.key == "demo")) or make_site(
        "demo", origins=(servers.engage,), spam_min_seconds=0)
    thread = make_thread(site, article, title="Démo")
    for i in range(comments):
        make_comment(thread, f"Commentaire n°{i + 1} : un avis de quelques mots sur l’article.",
                     author=f"Lecteur {i + 1}")
    db.session.commit()


@pytest.mark.parametrize("width", [375, 1280])
@pytest.mark.parametrize(("article", "comments"), [(SHORT, 0), (SHORT, 4), (LONG, 12)],
                         ids=["short-empty", "short", "long"])
def test_mounting_the_widget_shifts_the_page_by_less_than_0_05(page, servers, width, article,
                                                               comments):
    demo_site(servers, article, comments)
    page.set_viewport_size({"width": width, "height": 800})
    page.add_init_script(MEASURE_CLS)

    page.goto(f"{servers.engage}/articles/{article}")
    page.locator(W + ("li.comment" if comments else "li.empty")).first.wait_for()
    page.wait_for_timeout(800)  # the last shifts are reported a frame or two later

    cls = page.evaluate("window.__cls")
    print(f"CLS {cls:.4f} on {article} at {width} px")  # pytest -s shows the figures
    assert cls < 0.05, f"CLS {cls:.3f} at {width} px"
