"""Every moderation page a moderator can reach, in real Chromium, checked by axe-core for
WCAG 2.1 A/AA at 320, 375 and 1280 px, in the light and the dark colour scheme: no violation,
no sideways scroll, queue tabs that say they scroll. Screenshots go to test-artifacts/."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import render_template
from sqlalchemy import select

import tests.browser.test_moderation as base
from engage.extensions import db
from engage.models import CommentStatus, OutboxKind, Site, utcnow
from engage.services import bans, moderation, outbox, webhooks
from engage.services.moderation import Action
from tests.browser.axe import axe_violations
from tests.browser.conftest import ARTIFACTS
from tests.factories import make_comment, make_moderator, make_thread

pytestmark = pytest.mark.browser

# The real forms, CSRF token included; the held and reported comments of the other tests.
app_config = base.app_config
queue = base.queue
reported_reply = base.reported_reply

ADMIN, LONELY = "admin@hostile.fr", "sans-site@hostile.fr"
WIDTHS = (320, 375, 1280)
SCHEMES = ("light", "dark")


@pytest.fixture
def world(app: Any, servers: Any, queue: dict[str, int],
          reported_reply: dict[str, int]) -> dict[str, Any]:
    """Something on every page: bans, an audit log, a long queue, an admin, a moderator of
    no site, and a page of each kind."""
    site = db.session.scalar(select(Site).where(Site.key == base.SITE_KEY))
    assert site is not None
    admin = make_moderator(ADMIN, role="admin", sites=(site,), password=base.PASSWORD)
    make_moderator(LONELY, password=base.PASSWORD)
    long = make_thread(site, "2026/12/un-titre-d-article-tres-long-sans-espace-" + "x" * 60,
                       title="Un titre d’article très long, qui ne tient jamais sur une "
                             "seule ligne d’un téléphone : « Anticonstitutionnellement »")
    start = utcnow() - dt.timedelta(days=2)
    for n in range(55):  # more than a page: the pager shows
        make_comment(long, f"Commentaire publié numéro {n}, avec un lien très long "
                     "https://example.org/" + "chemin/" * 12, author=f"Lecteur {n}",
                     email=f"lecteur-{n}-avec-une-adresse-longue@exemple-de-domaine.fr",
                     created_at=start + dt.timedelta(minutes=n))
    db.session.flush()
    held = moderation.comment_for(admin, queue["held"])
    bans.ban_author(admin, held, days=7, reason="Insultes répétées, malgré un avertissement.",
                    identifiers=("email",))
    spam = make_comment(long, "Achetez maintenant", author="Robot", email="r@spam.example",
                        ip_hash="i" * 64, status=CommentStatus.PENDING)
    db.session.flush()
    spam = moderation.comment_for(admin, spam.id)
    bans.ban_author(admin, spam, days=None, identifiers=("email", "ip"))
    moderation.act(admin, spam, Action.SPAM, "Publicité")
    moderation.update_settings(admin, site, {"max_links": "3", "banned_words": "arnaque"})
    # A webhook with a failure in its log, and one paused after too many.
    hook = webhooks.add_endpoint(site, "https://outils.lejourpile.fr/engage/webhooks/"
                                 "commentaires-et-signalements-de-la-redaction")
    message = outbox.enqueue(site.id, OutboxKind.WEBHOOK, {"endpoint": hook.id, "body": "{}"})
    outbox.log_attempt(message, ok=False, status_code=503, endpoint_id=hook.id, duration_ms=812,
                       detail="HTTP 503: <html><body>Service temporairement indisponible, "
                              "maintenance en cours</body></html>")
    outbox.log_attempt(message, ok=True, status_code=200, endpoint_id=hook.id, duration_ms=94,
                       detail="HTTP 200: ok")
    paused = webhooks.add_endpoint(site, "https://crm.lejourpile.fr/hooks", ["comment.reported"])
    paused.failures, paused.enabled = 20, False
    paused.disabled_reason = "20 failed deliveries in a row"
    db.session.commit()
    return {"site": site, "reply": reported_reply["reply"]}


def context_for(browser: Any, width: int, scheme: str, locale: str = "fr-FR") -> Any:
    # axe is injected as a script of its own: the pages' CSP would refuse it.
    return browser.new_context(viewport={"width": width, "height": 800},
                               color_scheme=scheme, locale=locale, bypass_csp=True)


def sign_in(page: Any, engage: str, email: str) -> None:
    page.goto(f"{engage}/moderate/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", base.PASSWORD)
    with page.expect_navigation():
        page.click("main button[type=submit]")


def rendered(app: Any, template: str, **values: Any) -> str:
    """A page the browser cannot make the server show (the database is down, a crash)."""
    with app.test_request_context("/moderate/"):
        return render_template(template, **values)


def fulfil_with(html: str) -> Callable[[Any], None]:
    def fulfil(route: Any) -> None:
        route.fulfill(body=html, content_type="text/html; charset=utf-8")
    return fulfil


class Checker:
    """Opens pages in one context, checks each, and keeps every problem found."""

    def __init__(self, page: Any, width: int, scheme: str) -> None:
        self.page, self.width, self.scheme = page, width, scheme
        self.problems: list[str] = []
        self.seen: list[str] = []

    def check(self, name: str) -> None:
        page = self.page
        page.wait_for_load_state("load")
        self.seen.append(name)
        found = axe_violations(page)
        self.problems += [f"{name}: {v}" for v in found]
        wide = page.evaluate("""() => {
            const root = document.documentElement;
            return root.scrollWidth > root.clientWidth ?
                `${root.scrollWidth} > ${root.clientWidth}: ` + [...document.querySelectorAll(
                    "body *")].filter((el) => el.getBoundingClientRect().right > root.clientWidth
                    && !el.closest(".visually-hidden, .tabs"))
                    .slice(0, 5).map((el) => el.tagName + "." + el.className).join(", ") : "";
        }""")
        if wide:
            self.problems.append(f"{name}: scrolls sideways ({wide})")
        if "`" in page.inner_text("body"):
            self.problems.append(f"{name}: a backtick shows (Markdown left in a text)")
        ARTIFACTS.mkdir(exist_ok=True)
        suffix = "-dark" if self.scheme == "dark" else ""
        page.screenshot(path=str(ARTIFACTS / f"moderation-{name}-{self.width}{suffix}.png"),
                        full_page=True)

    def visit(self, name: str, url: str) -> None:
        self.page.goto(url)
        self.check(name)


@pytest.fixture
def checker(browser: Any, request: pytest.FixtureRequest) -> Iterator[Callable[..., Checker]]:
    contexts: list[Any] = []
    console: list[str] = []

    def open_checker(width: int, scheme: str, locale: str = "fr-FR") -> Checker:
        context = context_for(browser, width, scheme, locale)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        # A 4xx page on purpose logs its status: only script errors count here.
        page.on("pageerror", lambda e: console.append(str(e)))
        page.on("console", lambda m: console.append(m.text) if m.type == "error"
                and "status of 4" not in m.text else None)
        return Checker(page, width, scheme)

    yield open_checker
    for context in contexts:
        context.close()
    assert console == []


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("width", WIDTHS)
def test_every_moderation_page_passes_axe_and_fits(app, servers, world, checker, width, scheme):
    engage, key = servers.engage, base.SITE_KEY
    moderate = f"{engage}/moderate"
    check = checker(width, scheme)
    page = check.page

    # Signed out: the sign-in form, empty, then refused.
    check.visit("login", f"{moderate}/sites/{key}/pending")  # "please sign in" flash
    page.fill("input[name=email]", ADMIN)
    page.fill("input[name=password]", "pas le bon")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    check.check("login-error")

    sign_in(page, engage, ADMIN)
    check.check("queue-pending")
    # The keyboard shortcuts' help, a ban form opened, a flash after a decision.
    page.locator("details.ban summary").first.click()
    check.check("queue-pending-ban-open")
    for queue_name in ("reported", "approved", "rejected", "spam"):
        check.visit(f"queue-{queue_name}", f"{moderate}/sites/{key}/{queue_name}")
    check.visit("queue-search", f"{moderate}/sites/{key}/reported?q=remi+lefevre&order=newest")
    check.visit("queue-empty", f"{moderate}/sites/{key}/pending?q=personne+nulle+part")
    check.visit("queue-article",
                f"{moderate}/sites/{key}/pending?article={base.ARTICLE}&order=oldest")
    check.visit("queue-approved-1", f"{moderate}/sites/{key}/approved")
    page.locator(".pager a[rel=next]").click()
    page.wait_for_url("**cursor=**")
    check.check("queue-approved-2")

    check.visit("queue-flash", f"{moderate}/sites/{key}/reported")
    with page.expect_navigation():
        page.locator(f"#comment-{world['reply']} [data-action=approve]").click()
    check.check("queue-flash")
    with page.expect_navigation():
        page.click("#shortcuts button")
    check.check("queue-shortcuts-off")
    with page.expect_navigation():
        page.click("#shortcuts button")

    check.visit("bans", f"{moderate}/sites/{key}/bans")
    check.visit("audit", f"{moderate}/sites/{key}/audit")
    check.visit("settings", f"{moderate}/sites/{key}/settings")
    assert page.locator(".help code").all_inner_texts() == ["engage notify"]
    page.evaluate("""() => { const f = document.getElementById("max_links");
                             f.type = "text"; f.value = "beaucoup"; }""")
    with page.expect_navigation():
        page.click("form.settings button[type=submit]")
    check.check("settings-error")

    check.visit("webhooks", f"{moderate}/sites/{key}/webhooks")
    page.locator(".webhook details summary").first.click()
    check.check("webhooks-log-open")
    page.fill("#url", "https://192.168.0.1/hook")
    with page.expect_navigation():
        page.click("form.settings button[type=submit]")
    check.check("webhooks-error")
    page.fill("#url", "https://outils.lejourpile.fr/autre")
    with page.expect_navigation():
        page.click("form.settings button[type=submit]")
    check.check("webhooks-secret")

    check.visit("error-404", f"{moderate}/sites/inconnu/pending")
    check.visit("error-path", f"{moderate}/rien/ici")
    for name, values in {
        "error-503": {"status": 503, "busy": False, "lang": "fr"},
        "error-500": {"status": 500, "request_id": "3f9a1c", "lang": "fr"},
    }.items():
        html = rendered(app, "errors/error.html", **values)
        page.route(f"{moderate}/{name}", fulfil_with(html))
        check.visit(name, f"{moderate}/{name}")

    # A moderator given no site yet.
    page.goto(f"{moderate}/sites/{key}/bans")
    with page.expect_navigation():
        page.click("form.logout button")
    check.check("login-signed-out")
    sign_in(page, engage, LONELY)
    check.check("no-sites")
    assert page.locator("main code").inner_text() == "engage moderator add"

    assert "\n".join(check.problems) == ""


@pytest.mark.parametrize("width", (320, 1280))
def test_english_pages_pass_axe_and_fit(servers, world, checker, width):
    check = checker(width, "light", "en-GB")
    page, moderate = check.page, f"{servers.engage}/moderate"
    sign_in(page, servers.engage, ADMIN)
    with page.expect_navigation():
        page.click("button[name=locale][value=en]")
    check.check("queue-pending-en")
    for name in ("bans", "audit", "settings", "webhooks"):
        check.visit(f"{name}-en", f"{moderate}/sites/{base.SITE_KEY}/{name}")
    assert check.problems == []


def test_queue_tabs_show_they_scroll_and_stay_keyboard_usable(servers, world, checker):
    check = checker(320, "light")
    page = check.page
    sign_in(page, servers.engage, ADMIN)
    tabs = page.locator("nav.tabs")
    scroller = tabs.locator(".tabs-scroll") if tabs.locator(".tabs-scroll").count() else tabs
    assert scroller.evaluate("el => el.scrollWidth > el.clientWidth")  # they overflow at 320
    # An edge says there is more: a shadow on the side that hides tabs.
    assert "gradient" in scroller.evaluate("el => getComputedStyle(el).backgroundImage")

    # Tab after tab, the keyboard reaches the last one, scrolled into view.
    links = tabs.locator("a")
    links.first.focus()
    for _ in range(links.count() - 1):
        page.keyboard.press("Tab")
    last = links.last
    assert last.evaluate("el => el === document.activeElement")
    box, frame = last.bounding_box(), scroller.bounding_box()
    assert box["x"] >= frame["x"] - 1 and box["x"] + box["width"] <= frame["x"] + frame["width"] + 1
    assert last.evaluate("el => getComputedStyle(el).outlineStyle") != "none"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/spam")


@pytest.mark.parametrize("width", (320, 1280))
def test_settings_fields_line_up(servers, world, checker, width):
    check = checker(width, "light")
    page = check.page
    sign_in(page, servers.engage, ADMIN)
    page.goto(f"{servers.engage}/moderate/sites/{base.SITE_KEY}/settings")
    fields = page.evaluate("""() => [...document.querySelectorAll(".settings .field")].map(
        (field) => {
            const box = (el) => el ? el.getBoundingClientRect() : null;
            const label = box(field.querySelector(":scope > label, :scope > legend"));
            const control = box(field.querySelector(".control"));
            const input = box(field.querySelector("input:not([type=hidden]), select, textarea"));
            const help = box(field.querySelector(".help"));
            return { label: label && [label.left, label.top, label.bottom],
                     control: [control.left, control.top], input: input && input.left,
                     help: help && help.left, right: control.right };
        })""")
    assert len(fields) >= 18
    form_right = page.evaluate("() => document.querySelector('.settings').getBoundingClientRect()"
                               ".right")
    # One column for every control and its help, whatever the option…
    assert len({round(f["control"][0]) for f in fields}) == 1, fields
    labels = [f["label"] for f in fields if f["label"]]
    # …one for every label…
    assert len({round(label[0]) for label in labels}) == 1, labels
    for f in fields:
        if f["help"] is not None:
            assert round(f["help"]) == round(f["control"][0])  # help under its control
        assert f["right"] <= form_right + 1  # nothing sticks out of the form
        if f["label"]:
            if width >= 1000:  # side by side: the label on its control's line
                assert abs(f["label"][1] - f["control"][1]) < 8, f
                assert f["label"][0] < f["control"][0]
            else:  # stacked: the label above its control
                assert f["label"][2] <= f["control"][1] + 1, f


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("width", WIDTHS)
def test_readers_notification_pages_pass_axe_and_fit(servers, world, checker, width, scheme):
    from engage.identity import email_hash
    from engage.models import Subscriber
    from engage.services import replies

    site = world["site"]
    subscriber = Subscriber(site_id=site.id, email="awa.diallo@exemple.fr",
                            email_hash=email_hash("awa.diallo@exemple.fr"), created_at=utcnow())
    db.session.add(subscriber)
    db.session.commit()
    confirm = replies.confirmation_token(subscriber)
    stop = replies.unsubscribe_token(subscriber, None)
    check = checker(width, scheme)
    page, base_url = check.page, f"{servers.engage}/notifications"

    check.visit("notifications-confirm", f"{base_url}/confirm?token={confirm}")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    check.check("notifications-confirmed")
    check.visit("notifications-unsubscribe", f"{base_url}/unsubscribe?token={stop}")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    check.check("notifications-unsubscribed")
    check.visit("notifications-invalid", f"{base_url}/confirm?token=abime")

    assert "\n".join(check.problems) == ""
