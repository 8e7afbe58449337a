"""Rate limits on the public writes: 429 in the contract's shape, with Retry-After."""

from __future__ import annotations

import pytest

from engage.extensions import db, limiter
from tests.api.helpers import READER, assert_error, post_comment
from tests.conftest import make_test_app
from tests.factories import make_site

LIMITED = {
    "RATELIMIT_ENABLED": True,
    "ENGAGE_LIMIT_COMMENTS": "2 per minute",
    "ENGAGE_LIMIT_ENGAGEMENT": "3 per minute",
}


@pytest.fixture
def app_config():
    # memory:// storage is made anew with each app: counters never leak between tests.
    return LIMITED


@pytest.fixture
def site(app):
    site = make_site()
    db.session.commit()
    return site


def test_third_comment_in_a_minute_is_429_with_retry_after(client, site):
    assert post_comment(client).status_code == 201
    assert post_comment(client).status_code == 201

    response = post_comment(client)

    error = assert_error(response, 429, "rate_limited")
    assert 1 <= error["retry_after"] <= 60
    assert 1 <= int(response.headers["Retry-After"]) <= 60


def client_at(app, ip):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ip
    return client


def test_comment_limit_counts_per_reader_token_too(app, site):
    # Two different IPs, one reader token: the reader's own counter trips.
    for ip in ("198.51.100.1", "198.51.100.2"):
        response = post_comment(client_at(app, ip), headers={"X-Engage-Reader": READER})
        assert response.status_code == 201

    response = post_comment(client_at(app, "198.51.100.3"), headers={"X-Engage-Reader": READER})

    assert_error(response, 429, "rate_limited")


def test_comment_limit_is_per_ip(app, site):
    for _ in range(2):
        post_comment(client_at(app, "198.51.100.7"))

    assert post_comment(client_at(app, "198.51.100.7")).status_code == 429
    assert post_comment(client_at(app, "198.51.100.8")).status_code == 201


def test_reactions_are_limited(client, site):
    payload = {
        "site": "lejourpile",
        "article": "a",
        "url": "https://lejourpile.fr/a",
        "reaction": "like",
    }
    codes = [
        client.put(
            "/api/v1/reaction", json=payload, headers={"X-Engage-Reader": READER}
        ).status_code
        for _ in range(4)
    ]

    assert codes == [200, 200, 200, 429]


def test_reads_are_not_limited(client, site):
    codes = {
        client.get(
            "/api/v1/thread", query_string={"site": "lejourpile", "article": "a"}
        ).status_code
        for _ in range(10)
    }

    assert codes == {200}


@pytest.mark.parametrize(
    "app_config", [{"RATELIMIT_ENABLED": False, "ENGAGE_LIMIT_COMMENTS": "1 per minute"}]
)
def test_limits_off_when_disabled(client, site):
    assert {post_comment(client).status_code for _ in range(3)} == {201}


def test_redis_storage_shares_counters_between_workers(database_url, redis_url):
    """Two apps (two workers) on one Redis: the limit holds across them."""
    config = {**LIMITED, "RATELIMIT_STORAGE_URI": redis_url}
    first, second = make_test_app(database_url, **config), make_test_app(database_url, **config)
    with first.app_context():
        limiter.reset()  # this test's Redis database starts with no counters
        make_site()
        db.session.commit()
    try:
        answers = [post_comment(worker.test_client()) for worker in (first, second, first)]
        assert [a.status_code for a in answers] == [201, 201, 429], answers[0].get_json()
    finally:
        for worker in (first, second):
            with worker.app_context():
                from tests.conftest import _empty_all_tables

                _empty_all_tables()
                db.engine.dispose()
