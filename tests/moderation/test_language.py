"""French and English pages: the moderator's choice, else the browser's, else French."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from engage.extensions import db
from engage.models import Moderator
from tests.moderation.conftest import sign_in
from tests.moderation.helpers import fresh, text

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "engage" / "translations" / "fr" / "LC_MESSAGES"
PENDING = "/moderate/sites/lejourpile/pending"


@pytest.mark.parametrize("accept", ["fr-FR,fr;q=0.9,en;q=0.5", "fr", "de-DE", ""])
def test_queue_is_french_for_french_or_unknown_browser(moderator_client, world, accept):
    page = text(moderator_client.get(PENDING, headers={"Accept-Language": accept}))

    assert '<html lang="fr">' in page
    assert "Approuver" in page and "En attente" in page and "Rejeter" in page
    assert "Approve" not in page


@pytest.mark.parametrize("accept", ["en-GB,en;q=0.9", "en", "de;q=1, en;q=0.8"])
def test_queue_is_english_for_english_browser(moderator_client, world, accept):
    page = text(moderator_client.get(PENDING, headers={"Accept-Language": accept}))

    assert '<html lang="en">' in page
    assert "Approve" in page and "Pending" in page
    assert "Approuver" not in page


def test_sign_in_page_follows_the_browser(client, world):
    french = text(client.get("/moderate/login", headers={"Accept-Language": "fr"}))
    english = text(client.get("/moderate/login", headers={"Accept-Language": "en"}))

    assert "Se connecter" in french and "Mot de passe" in french
    assert "Sign in" in english and "Password" in english


def test_language_switch_saves_the_choice_over_the_browser(moderator_client, world):
    response = moderator_client.post("/moderate/language", data={"locale": "en", "back": PENDING},
                                     headers={"Accept-Language": "fr"})
    page = text(moderator_client.get(PENDING, headers={"Accept-Language": "fr"}))

    assert response.headers["Location"] == PENDING
    assert fresh(Moderator, world["moderator"].id).locale == "en"
    assert "Language saved." in page and "Approve" in page


def test_saved_language_follows_the_moderator_to_a_new_session(client, world):
    moderator = fresh(Moderator, world["moderator"].id)
    moderator.locale = "en"
    db.session.commit()

    sign_in(client)
    page = text(client.get(PENDING, headers={"Accept-Language": "fr"}))

    assert "Approve" in page


@pytest.mark.parametrize("locale", ["de", "", "fr-FR"])
def test_language_switch_refuses_unknown_language(moderator_client, world, locale):
    moderator_client.post("/moderate/language", data={"locale": locale})

    assert fresh(Moderator, world["moderator"].id).locale is None


def test_flash_messages_are_translated(moderator_client, world):
    moderator_client.post(f"/moderate/comments/{world['pending'].id}/approve",
                          headers={"Accept-Language": "fr"})

    assert "Commentaire approuvé." in text(moderator_client.get(PENDING))


# --- the French catalog -----------------------------------------------------------------

KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_pgettext": ((1, "c"), 2)}
METHODS = [("engage/moderation/**.py", "python"), ("templates/base.html", "jinja2"),
           ("templates/moderation/**.html", "jinja2")]


def _key(message_id, context):
    return (context, message_id if isinstance(message_id, str) else message_id[0])


def test_french_catalog_translates_every_string_of_the_pages():
    wanted = {_key(m[2], m[4]) for m in extract_from_dir(str(ROOT), METHODS, KEYWORDS)}
    with open(CATALOG / "messages.po", "rb") as handle:
        catalog = read_po(handle, locale="fr")
    translated = {_key(m.id, m.context) for m in catalog if m.id and not m.fuzzy and (
        all(m.string) if isinstance(m.string, tuple) else m.string)}

    assert sorted(wanted - translated, key=str) == []


def test_compiled_french_catalog_matches_the_po_file():
    with open(CATALOG / "messages.po", "rb") as po, open(CATALOG / "messages.mo", "rb") as mo:
        source, compiled = read_po(po, locale="fr"), read_mo(mo)

    def entries(catalog):
        def flat(value):
            return value if isinstance(value, str) else tuple(value)

        return {(m.context, flat(m.id), flat(m.string)) for m in catalog if m.id and not m.fuzzy}

    assert entries(source) == entries(compiled)
