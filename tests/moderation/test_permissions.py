"""Every page and action is authorised on the site it touches: 403 elsewhere (CONTRACT §3)."""

from __future__ import annotations

import itertools
import re

import pytest

from engage.models import Ban, Comment, CommentStatus, Site, Thread
from engage.services.sites import settings_of
from tests.moderation.helpers import fresh

ACTIONS = ["approve", "reject", "spam", "delete", "feature", "unfeature"]
QUEUES = ["pending", "reported", "approved", "rejected", "spam"]


def routes_on(site: str, comment: str):
    """Every page and action of one site; `comment` names the world's comment to act on."""
    pages = [("GET", f"/moderate/sites/{site}/{q}", None) for q in QUEUES]
    pages += [
        ("GET", f"/moderate/sites/{site}/settings", None),
        ("POST", f"/moderate/sites/{site}/settings", {"max_links": "9"}),
        ("GET", f"/moderate/sites/{site}/audit", None),
        ("GET", f"/moderate/sites/{site}/bans", None),
        ("POST", "/moderate/bans/{foreign_ban}/lift", {"reason": "r"}),
        ("POST", f"/moderate/sites/{site}/threads/close", {"article": "ailleurs"}),
        ("POST", f"/moderate/sites/{site}/threads/open", {"article": "ailleurs"}),
        ("GET", f"/moderate/?site={site}", None),
        ("GET", f"/moderate/sites/{site}/webhooks", None),
        ("POST", f"/moderate/sites/{site}/webhooks", {"url": "https://outils.autre.fr/hook"}),
    ]
    # The site is checked before the endpoint: any id gets the 403.
    pages += [("POST", f"/moderate/sites/{site}/webhooks/1/{change}", None)
              for change in ("enable", "disable", "remove")]
    pages += [("POST", f"/moderate/comments/{{{comment}}}/{a}", {"reason": "r"}) for a in ACTIONS]
    pages += [
        ("POST", f"/moderate/comments/{{{comment}}}/ban", {"days": "7"}),
        ("POST", "/moderate/comments/bulk", {"ids": f"{{{comment}}}", "action": "reject"}),
    ]
    return pages


def call(client, world, method, url, data):
    ids = {name: world[name].id for name in ("foreign", "pending", "foreign_ban")}
    url = url.format(**ids)
    if data:
        data = {k: v.format(**ids) for k, v in data.items()}
    return client.open(url, method=method, data=data)


@pytest.mark.parametrize(("method", "url", "data"), routes_on("autre", "foreign"))
def test_moderator_of_one_site_gets_403_on_another(moderator_client, world, method, url, data):
    response = call(moderator_client, world, method, url, data)

    assert response.status_code == 403, url
    assert response.mimetype == "text/html"
    assert fresh(Comment, world["foreign"].id).status == CommentStatus.PENDING
    assert fresh(Thread, world["other_thread"].id).is_open is True
    assert settings_of(fresh(Site, world["other"].id)).max_links == 2
    assert fresh(Ban, world["foreign_ban"].id) is not None


@pytest.mark.parametrize(("method", "url", "data"), [
    ("GET", "/moderate/sites/lejourpile/settings", None),
    ("POST", "/moderate/sites/lejourpile/settings", {"max_links": "9"}),
])
def test_moderator_who_is_not_admin_gets_403_on_settings(moderator_client, world, method, url,
                                                         data):
    response = moderator_client.open(url, method=method, data=data)

    assert response.status_code == 403
    assert settings_of(fresh(Site, world["home"].id)).max_links == 2


def test_settings_link_is_shown_to_admins_only(moderator_client, world):
    page = moderator_client.get("/moderate/sites/lejourpile/pending").get_data(as_text=True)

    assert "/settings" not in page


def test_bulk_mixing_own_and_foreign_comments_changes_none(moderator_client, world):
    response = moderator_client.post("/moderate/comments/bulk", data={
        "ids": [str(world["pending"].id), str(world["foreign"].id)], "action": "approve"})

    assert response.status_code == 403
    assert fresh(Comment, world["pending"].id).status == CommentStatus.PENDING


@pytest.mark.parametrize(("method", "url", "data"), [
    # Changes to endpoints need one: tests/moderation/test_webhooks_page.py.
    r for r in routes_on("autre", "foreign")
    if ("/settings" not in r[1] or r[0] == "GET") and "/webhooks/" not in r[1]
])
def test_admin_may_act_on_every_site(admin_client, world, method, url, data):
    response = call(admin_client, world, method, url, data)

    assert response.status_code in (200, 302), url


def _patterns(rule: str) -> list[str]:
    # One pattern per value of an any() converter; any other converter is one path segment.
    parts = re.split(r"(<[^>]+>)", rule)
    choices = []
    for part in parts:
        listed = re.match(r"<any\(([^)]*)\):", part)
        if listed:
            choices.append([re.escape(v.strip()) for v in listed.group(1).split(",")])
        else:
            choices.append(["[^/]+"] if part.startswith("<") else [re.escape(part)])
    return ["".join(combo) for combo in itertools.product(*choices)]


def test_the_permission_table_covers_every_route(app):
    """A new page or action must join routes_on, so that it is tested for 403 too."""
    # Public, or about the signed-in account only (no site to authorise).
    public = {"moderation.login", "moderation.logout", "moderation.set_language",
              "moderation.set_shortcuts"}
    table = {url.split("?")[0].format(foreign=1, foreign_ban=1)
             for _m, url, _d in routes_on("autre", "foreign")}
    rules = [r.rule for r in app.url_map.iter_rules()
             if r.endpoint.startswith("moderation.") and r.endpoint not in public]

    missing = [pattern for rule in rules for pattern in _patterns(rule)
               if not any(re.fullmatch(pattern, url) for url in table)]

    assert rules and missing == []
