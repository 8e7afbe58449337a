"""The WordPress plugin as engage ships and serves it: GET /wordpress/engage-comments.zip,
valid PHP, and a complete French translation."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from tests.conftest import IN_CI
from tests.test_typography import problems

PLUGIN = Path(__file__).resolve().parents[2] / "engage" / "wordpress" / "engage-comments"
LANGUAGES = PLUGIN / "languages"


def plugin_zip(client, **headers):
    response = client.get("/wordpress/engage-comments.zip", headers=headers)
    assert response.status_code == 200
    return response, zipfile.ZipFile(io.BytesIO(response.data))


def test_zip_holds_the_plugin_pre_filled_with_this_servers_url(client):
    response, archive = plugin_zip(client)

    assert response.mimetype == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"]
    names = archive.namelist()
    for name in ("engage-comments.php", "uninstall.php", "readme.txt", "server.php",
                 "includes/thread.php", "includes/sso.php", "includes/sso-settings.php",
                 "templates/comments.php",
                 "languages/engage-comments-fr_FR.mo"):
        assert f"engage-comments/{name}" in names
    assert all(n.startswith("engage-comments/") for n in names)
    server = archive.read("engage-comments/server.php").decode()
    assert "return 'http://localhost';" in server and "defined( 'ABSPATH' ) || exit;" in server


@pytest.mark.parametrize("app_config", [{"ENGAGE_BASE_URL": "https://engage.lejourpile.fr/"}])
def test_zip_names_the_configured_public_url(client):
    server = plugin_zip(client)[1].read("engage-comments/server.php").decode()

    assert "return 'https://engage.lejourpile.fr';" in server


def test_a_zip_named_from_the_host_header_stays_out_of_shared_caches(client, app):
    response, _ = plugin_zip(client)
    assert "private" in response.headers["Cache-Control"] and "Host" in response.headers["Vary"]

    app.config["ENGAGE_BASE_URL"] = "https://engage.lejourpile.fr"
    assert "public" in plugin_zip(client)[0].headers["Cache-Control"]


def test_a_forged_host_cannot_put_php_in_the_zip(client):
    server = plugin_zip(client, Host="evil';phpinfo();//")[1].read(
        "engage-comments/server.php").decode()

    assert "phpinfo" not in server and "return '';" in server


def test_zip_is_the_same_bytes_each_time_and_revalidates(client):
    first, _ = plugin_zip(client)
    again, _ = plugin_zip(client)

    assert first.data == again.data
    assert client.get("/wordpress/engage-comments.zip",
                      headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    assert "Set-Cookie" not in first.headers


def test_every_php_file_is_valid():
    php = shutil.which("php")
    if php is None:
        if IN_CI:
            pytest.fail("CI=true but php is missing: .ci/run installs it (wp-up.sh)")
        pytest.skip("php -l needs PHP (apt-get install php-cli)")
    files = sorted(PLUGIN.rglob("*.php"))
    assert len(files) >= 7
    for path in files:
        result = subprocess.run([php, "-l", str(path)], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
        text = path.read_text()
        # Never run outside WordPress: every file stops when loaded on its own.
        assert "defined( 'ABSPATH' ) || exit;" in text or "WP_UNINSTALL_PLUGIN" in text, path


def test_plugin_header_says_what_wordpress_needs():
    header = (PLUGIN / "engage-comments.php").read_text()

    for field in ("Plugin Name:       engage comments", "Requires at least: 6.0",
                  "Requires PHP:      8.0", "Text Domain:       engage-comments",
                  "License:           GPL-2.0-or-later"):
        assert field in header


def php_strings() -> set[str]:
    """The translatable strings of the plugin's PHP, as xgettext would extract them."""
    found: set[str] = set()
    for path in PLUGIN.rglob("*.php"):
        source = path.read_text()
        for match in re.finditer(r"(?:__|esc_html__|esc_html_e|esc_attr__)\(\s*'((?:[^'\\]|\\.)*)'",
                                 source):
            found.add(match.group(1).replace("\\'", "'"))
    return found


def test_french_catalog_translates_every_string_by_french_rules():
    with (LANGUAGES / "engage-comments-fr_FR.po").open("rb") as po:
        catalog = read_po(po)
    translations = {m.id: m.string for m in catalog if m.id}

    assert php_strings() <= set(translations), php_strings() - set(translations)
    for source, french in translations.items():
        assert french, f"untranslated: {source}"
        prose = re.sub(r"https?://\S*", "0", french)  # "https://" alone is not prose
        assert problems(prose) == [], (french, problems(prose))
    with (LANGUAGES / "engage-comments-fr_FR.mo").open("rb") as mo:
        compiled = {m.id: m.string for m in read_mo(mo) if m.id}
    # Compiled with GNU msgfmt: WordPress's MO reader refuses Babel's .mo files.
    assert compiled == translations, "the .mo is stale: msgfmt -o …fr_FR.mo …fr_FR.po"


def test_template_lists_the_strings_the_french_catalog_translates():
    with (LANGUAGES / "engage-comments.pot").open("rb") as pot:
        template = {m.id for m in read_po(pot) if m.id}
    with (LANGUAGES / "engage-comments-fr_FR.po").open("rb") as po:
        french = {m.id for m in read_po(po) if m.id}

    # Regenerated with xgettext (the keywords __, esc_html__, esc_html_e, esc_attr__).
    assert php_strings() <= template, php_strings() - template
    assert template == french, template ^ french


@pytest.mark.parametrize(("source", "french"), [
    ("Single sign-on", "Authentification unique"),
    ("Subscriber", "Abonné"),  # the default badge
    ("A secret is set. Leave this empty to keep it, or paste a new one to replace it.",
     "Un secret est enregistré. Laissez ce champ vide pour le garder, ou collez-en un nouveau "
     "pour le remplacer."),
])
def test_single_sign_on_settings_are_in_french(source, french):
    with (LANGUAGES / "engage-comments-fr_FR.mo").open("rb") as mo:
        compiled = {m.id: m.string for m in read_mo(mo) if m.id}

    assert compiled[source] == french
