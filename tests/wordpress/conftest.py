"""The WordPress tests use the browser tests' page fixtures (Chromium is the root conftest's),
on SQLite only: they exercise the plugin, not the database."""

from tests.browser.conftest import database_url, page, servers  # noqa: F401
