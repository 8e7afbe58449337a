"""Regressions found in the review of the moderation pages: each test names what it pins."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engage.extensions import db
from engage.models import AuditEvent
from tests.moderation.conftest import PASSWORD


@pytest.mark.parametrize("value", ["a\x00b", "x\x01"])
def test_control_characters_in_login_are_400_not_500(client, world, value):
    response = client.post("/moderate/login", data={"email": value, "password": value})

    assert response.status_code == 400


def test_control_characters_in_a_decision_reason_are_refused(moderator_client, world):
    response = moderator_client.post(f"/moderate/comments/{world['pending'].id}/approve",
                                     data={"reason": "nul\x00"})

    assert response.status_code == 400


@pytest.mark.parametrize("target", ["/moderate/\r\nX-Evil: 1", "/moderate/ x", "/moderate/\t"])
def test_redirect_target_with_control_characters_falls_back(client, world, target):
    response = client.post("/moderate/login", data={
        "email": "modo@lejourpile.fr", "password": PASSWORD, "next": target})

    # Refused outright (400) or signed in and sent to the queue: never to the forged target.
    assert response.status_code in (302, 400)
    assert "X-Evil" not in str(response.headers)
    if response.status_code == 302:
        assert response.headers["Location"].endswith("/moderate/")


def test_akismet_key_never_reaches_the_audit_log(admin_client, world):
    from tests.moderation.test_settings import SETTINGS, VALID

    admin_client.post(SETTINGS, data={**VALID, "akismet_key": "SECRETKEY123"})

    details = [e.details for e in db.session.scalars(select(AuditEvent))]
    assert details and "SECRETKEY123" not in str(details)
    assert details[-1]["changes"]["akismet_key"] == ["(secret)", "(changed)"]


def test_akismet_url_must_be_https(admin_client, world):
    from engage.models import Site
    from engage.services.sites import settings_of
    from tests.moderation.helpers import fresh
    from tests.moderation.test_settings import SETTINGS, VALID

    admin_client.post(SETTINGS, data={**VALID, "akismet_url": "http://antispam.example.org"})

    assert settings_of(fresh(Site, world["home"].id)).akismet_url == "https://rest.akismet.com"
