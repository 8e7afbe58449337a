"""The widget for readers the site signs in (issue 16): the token on the container
(data-engage-sso) or from the page's window.engageSSO callback; "Connecté en tant que …"
instead of the name and e-mail fields; the badge on their comments; the site's login link
where it takes accounts only."""

from __future__ import annotations

import time

import jwt
import pytest
from sqlalchemy import select

from engage.extensions import db
from engage.models import Comment, Site
from engage.services import sso
from engage.services.sites import set_options
from tests.browser.conftest import SITE_KEY, screenshot
from tests.browser.test_widget import THREAD, W, post, stored

pytestmark = pytest.mark.browser


def site_secret(**options):
    site = db.session.scalar(select(Site).where(Site.key == SITE_KEY))
    secret = sso.rotate_secret(site)
    if options:
        set_options(site, options)
    db.session.commit()
    return secret


def token(secret, sub="wp-42", name="Éloïse Martin", **claims):
    now = int(time.time())
    return jwt.encode({"sub": sub, "name": name, "iat": now, "exp": now + 3600, **claims},
                      secret, algorithm="HS256")


def signed_in_thread(value):
    return THREAD.replace("<div ", f'<div data-engage-sso="{value}" ', 1)


def test_a_signed_in_reader_comments_under_the_sites_name_and_badge(page, servers):
    secret = site_secret()
    page.goto(servers.page_url("abonnee", signed_in_thread(token(secret, badge="Abonnée"))))
    page.wait_for_selector(W + "textarea[name=body]")
    page.focus(W + "textarea[name=body]")

    assert page.locator(W + "form.compose").inner_text().count("Connecté en tant que Éloïse "
                                                                "Martin") == 1
    assert page.locator(W + "input[name=author]").count() == 0
    assert page.locator(W + "input[name=email]").count() == 0
    page.fill(W + "textarea[name=body]", "Merci pour cet article « fouillé » !")
    page.click(W + "button[type=submit]")

    comment = page.locator(W + "li.comment").first
    comment.locator(".badge", has_text="Abonnée").wait_for()
    assert "Éloïse Martin" in comment.locator(".author").inner_text()
    (stored_comment,) = stored(Comment)
    assert (stored_comment.author, stored_comment.badge) == ("Éloïse Martin", "Abonnée")
    assert stored_comment.account_hash is not None
    screenshot(page, "widget-signed-in")


def test_a_token_from_the_pages_callback_signs_the_reader_in(page, servers):
    secret = site_secret()
    # A site whose login is dynamic gives the token when asked, as a promise here.
    callback = f"<script>window.engageSSO = () => Promise.resolve({token(secret)!r});</script>"
    page.goto(servers.page_url("dynamique", callback + THREAD))
    page.wait_for_selector(W + "textarea[name=body]")

    # The name is not known before the answer (a promise): the form asks for one, which the
    # account's replaces; the comment is the account's all the same.
    post(page, "Connectée par le site", author="Ignoré")
    page.locator(W + "li.comment .author", has_text="Éloïse Martin").wait_for()
    (stored_comment,) = stored(Comment)
    assert stored_comment.author == "Éloïse Martin" and stored_comment.account_hash


def test_where_the_site_takes_accounts_only_a_guest_gets_its_login_link(page, servers):
    site_secret(comments="accounts", login_url="https://www.lejourpile.fr/connexion")
    page.goto(servers.page_url("abonnes", THREAD))

    link = page.locator(W + "a", has_text="Se connecter pour commenter")
    link.wait_for()
    assert link.get_attribute("href") == "https://www.lejourpile.fr/connexion"
    assert page.locator(W + "textarea[name=body]").count() == 0
    # Guests still react.
    page.locator(W + ".reactions button").first.click()
    page.locator(W + ".reactions [aria-pressed=true]").wait_for()
    screenshot(page, "widget-login-required")


def test_where_the_site_takes_both_a_guest_sees_the_form_and_the_login_link(page, servers):
    site_secret(comments="both", login_url="https://www.lejourpile.fr/connexion")
    page.goto(servers.page_url("les-deux", THREAD))
    page.wait_for_selector(W + "textarea[name=body]")

    assert page.locator(W + "a", has_text="Se connecter pour commenter").count() == 1
    post(page, "Un invité passe", author="Invité du soir")
    page.locator(W + "li.comment .author", has_text="Invité du soir").wait_for()


def test_an_untrusted_token_says_so_and_posts_nothing(page, servers):
    site_secret()
    page.expected_problems = ["401"]
    forged = token("not-the-sites-secret-but-long-enough-00")
    page.goto(servers.page_url("faux", signed_in_thread(forged)))
    page.wait_for_selector(W + "textarea[name=body]")
    page.fill(W + "textarea[name=body]", "Avec un jeton forgé")
    page.click(W + "button[type=submit]")

    status = page.locator(W + "form.compose .status")
    status.wait_for()
    assert status.inner_text() == "Connectez-vous sur le site (à nouveau) pour commenter."
    assert stored(Comment) == []
