"""The site settings page: every option, saved through sites.set_options and audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engage.extensions import db
from engage.models import AuditEvent, Site
from engage.services.sites import settings_of
from tests.moderation.helpers import fresh, text

SETTINGS = "/moderate/sites/lejourpile/settings"
VALID = {
    "moderation": "pre",
    "hold_first_comment": "y",
    "banned_words": "connard\nva te faire",
    "suspect_words": "idiot, nul",
    "max_links": "3",
    "edit_window": "30",
    "report_queue_threshold": "2",
    "report_hide_threshold": "5",
    "auto_close_days": "14",
    "spam_honeypot": "hold",
    "spam_too_fast": "reject",
    "spam_min_seconds": "5",
    "spam_duplicate": "off",
    "spam_akismet": "reject",
    "akismet_key": "cle-secrete",
    "akismet_url": "https://antispam.example.org",
    "erasure": "anonymize",
    "notify_moderators": "y",
    "language": "en",
}


@pytest.fixture(autouse=True)
def english(client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"


def test_settings_page_shows_every_option_with_current_values(admin_client, world):
    world["home"].settings = {"max_links": 7, "banned_words": ["abruti", "crétin"]}
    db.session.commit()

    page = text(admin_client.get(SETTINGS))

    for name in VALID:
        assert f'name="{name}"' in page
    assert 'value="7"' in page
    assert "abruti\ncrétin" in page
    assert 'value="post" checked' in page


def test_settings_save_stores_every_option_and_records_the_changes(admin_client, world):
    response = admin_client.post(SETTINGS, data=VALID)

    assert response.status_code == 302 and response.headers["Location"] == SETTINGS
    settings = settings_of(fresh(Site, world["home"].id))
    assert settings.moderation == "pre" and settings.hold_first_comment is True
    assert settings.banned_words == ("connard", "va te faire")
    assert settings.suspect_words == ("idiot", "nul")
    assert (settings.max_links, settings.edit_window, settings.report_queue_threshold,
            settings.report_hide_threshold, settings.auto_close_days) == (3, 30, 2, 5, 14)
    (event,) = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "settings"))
    assert event.actor == "admin@engage.fr" and event.site_id == world["home"].id
    assert (settings.spam_honeypot, settings.spam_too_fast, settings.spam_duplicate,
            settings.spam_akismet, settings.spam_min_seconds) == ("hold", "reject", "off",
                                                                  "reject", 5)
    assert settings.akismet_key == "cle-secrete"
    assert settings.akismet_url == "https://antispam.example.org"
    assert settings.erasure == "anonymize" and settings.notify_moderators is True
    assert settings.language == "en"
    assert event.details["changes"]["max_links"] == [2, 3]
    assert event.details["changes"]["banned_words"] == [[], ["connard", "va te faire"]]
    assert "Settings saved." in text(admin_client.get(SETTINGS))


def test_settings_save_unticked_box_turns_option_off(admin_client, world):
    world["home"].settings = {"hold_first_comment": True}
    db.session.commit()

    admin_client.post(SETTINGS, data={k: v for k, v in VALID.items() if k != "hold_first_comment"})

    assert settings_of(fresh(Site, world["home"].id)).hold_first_comment is False


def test_settings_save_without_change_records_nothing(admin_client, world):
    current = {"moderation": "post", "banned_words": "", "suspect_words": "", "max_links": "2",
               "edit_window": "15", "report_queue_threshold": "1", "report_hide_threshold": "0",
               "auto_close_days": "0", "language": "fr",
               "notify_replies": "y"}  # ticked by default, so sent as the page shows it

    response = admin_client.post(SETTINGS, data=current)

    assert response.status_code == 302  # saved, not refused
    db.session.rollback()
    assert db.session.scalars(select(AuditEvent)).all() == []


@pytest.mark.parametrize(("field", "value", "message"), [
    ("max_links", "beaucoup", "Enter a whole number from 0 to 100."),
    ("max_links", "101", "Enter a whole number from 0 to 100."),
    ("edit_window", "-1", "Enter a whole number from 0 to 10080."),
    ("report_queue_threshold", "0", "Enter a whole number from 1 to 1000."),
    ("moderation", "parfois", "Choose one of the two modes."),
    ("banned_words", "x" * 101, "Each word or phrase is at most 100 characters."),
    ("auto_close_days", "", "This field is required."),
    ("language", "de", "Not a valid choice."),
])
def test_settings_invalid_value_is_shown_in_the_form_and_nothing_saved(admin_client, world,
                                                                       field, value, message):
    response = admin_client.post(SETTINGS, data={**VALID, field: value})

    page = text(response)
    assert response.status_code == 200
    assert message in page and "Some settings are not valid" in page
    assert 'aria-invalid="true"' in page or field == "moderation"
    assert fresh(Site, world["home"].id).settings == {}
    assert db.session.scalars(select(AuditEvent)).all() == []


def test_settings_error_is_translated_for_french_moderator(admin_client, world):
    response = admin_client.post(SETTINGS, data={**VALID, "max_links": "101"},
                                 headers={"Accept-Language": "fr"})

    assert "Saisissez un nombre entier de 0 à 100." in text(response)
