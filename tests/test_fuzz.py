"""Schemathesis against /api/v1/openapi.json: no server error, no answer off the schema.

Bounded (FUZZ_EXAMPLES per operation, per backend) so that CI stays within minutes.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from engage.extensions import db
from tests.factories import make_comment, make_moderator, make_site, make_thread, make_token

FUZZ_EXAMPLES = int(os.environ.get("ENGAGE_FUZZ_EXAMPLES", "40"))


@pytest.fixture
def fuzz_token(app):
    """A site with a thread and comments to aim at, and an admin's token for /mod."""
    site = make_site()
    thread = make_thread(site, "2026/11/mali-russie")
    for n in range(3):
        make_comment(thread, f"Commentaire {n}")
    token = make_token(make_moderator("admin@engage.fr", role="admin"))
    db.session.commit()
    return token


def test_api_never_fails_and_answers_as_documented(app, fuzz_token):
    # Driven by hand rather than with schemathesis' pytest plugin, which does not yet work
    # with pytest 9; every operation of the document gets its examples.
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 19  # every public and moderation operation
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=FUZZ_EXAMPLES,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def fuzz(case: schemathesis.Case) -> None:
            case.call_and_validate(headers={"Authorization": f"Bearer {fuzz_token}"})

        fuzz()
