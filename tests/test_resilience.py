"""Database and Redis faults, in-process: every answer a quick 503 (or a working fallback)
in our shape, with its CORS headers; nothing in a hook, handler or teardown turns it into a 500.
The same behaviours against real servers that stop and freeze are in tests/faults/."""

from __future__ import annotations

import io
import logging
import sqlite3

import pytest
from sqlalchemy.exc import OperationalError

from engage.extensions import db
from tests.api.helpers import ARTICLE, post_comment
from tests.conftest import make_test_app
from tests.factories import ORIGIN, SITE_KEY, make_moderator, make_site
from tests.faults.services import free_port

FOREIGN = "https://evil.example"


def get_thread(client, article=ARTICLE, headers=None):
    return client.get("/api/v1/thread", query_string={"site": SITE_KEY, "article": article},
                      headers=headers or {})


def _fault(*args, **kwargs):
    raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))


@pytest.fixture
def site(app):
    site = make_site()
    db.session.commit()
    return site


@pytest.fixture
def database_down(app, monkeypatch):
    """From now on no connection can be had, as when the server is stopped."""

    def down() -> None:
        db.session.remove()
        db.engine.dispose()
        monkeypatch.setattr(db.engine.pool, "connect", _fault)

    return down


@pytest.fixture
def engage_log():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(request_id)s %(message)s"))
    from engage.logs import RequestIdFilter

    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("engage")
    logger.addHandler(handler)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)


def _assert_unavailable(response, origin=ORIGIN):
    assert response.status_code == 503
    assert response.json["error"]["code"] == "unavailable"
    assert set(response.json["error"]) >= {"code", "message", "fields"}
    assert response.headers["Retry-After"] == "1"
    if origin:
        assert response.headers["Access-Control-Allow-Origin"] == origin


def test_fault_after_the_site_was_read_answers_503_with_cors(client, site, monkeypatch):
    from engage.services import threads

    monkeypatch.setattr(threads, "find_thread", _fault)
    _assert_unavailable(get_thread(client, headers={"Origin": ORIGIN}))


def test_fault_in_a_write_answers_503_with_cors(client, site, monkeypatch):
    from engage.services import comments

    monkeypatch.setattr(comments, "post_comment", _fault)
    _assert_unavailable(post_comment(client, headers={"Origin": ORIGIN}))


def test_database_down_the_html_fragment_answers_503_or_its_cached_copy(
    client, site, database_down
):
    # What a WordPress page includes server-side: a quick 503 it can fall back from.
    def fragment(article):
        query = {"site": SITE_KEY, "article": article}
        return client.get("/api/v1/thread.html", query_string=query)

    assert fragment(ARTICLE).status_code == 200
    database_down()
    cached = fragment(ARTICLE)
    assert cached.status_code == 200 and cached.mimetype == "text/html"
    _assert_unavailable(fragment("autre"), origin=None)


def test_database_down_answers_every_api_request_with_503_and_cors(
    client, site, database_down
):
    assert get_thread(client, headers={"Origin": ORIGIN}).status_code == 200
    database_down()
    # A read the cache holds, still current (no write could commit), keeps being served.
    cached = get_thread(client, headers={"Origin": ORIGIN})
    assert cached.status_code == 200
    assert cached.headers["Access-Control-Allow-Origin"] == ORIGIN
    _assert_unavailable(get_thread(client, article="autre", headers={"Origin": ORIGIN}))
    _assert_unavailable(post_comment(client, headers={"Origin": ORIGIN}))
    _assert_unavailable(client.get(f"/api/v1/counts?site={SITE_KEY}&article=a",
                                   headers={"Origin": ORIGIN}))
    _assert_unavailable(client.get(f"/api/v1/form-token?site={SITE_KEY}",
                                   headers={"Origin": ORIGIN}))
    _assert_unavailable(get_thread(client, article="autre"), origin=None)
    # An origin no site registered still learns nothing.
    foreign = get_thread(client, article="autre", headers={"Origin": FOREIGN})
    assert foreign.status_code == 503
    assert "Access-Control-Allow-Origin" not in foreign.headers


def test_preflight_while_the_database_is_down_lets_the_widget_read_the_503(
    client, site, database_down
):
    assert get_thread(client, headers={"Origin": ORIGIN}).status_code == 200
    database_down()
    preflight = client.options("/api/v1/comments", headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == ORIGIN
    # Any origin's preflight passes: the request itself is then refused, readably.
    foreign = client.options("/api/v1/comments", headers={
        "Origin": FOREIGN, "Access-Control-Request-Method": "POST"})
    assert foreign.headers["Access-Control-Allow-Origin"] == FOREIGN


def test_healthz_answers_503_when_the_database_is_down(client, database_down):
    database_down()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json["status"] == "unavailable"


def test_moderation_page_during_a_fault_is_engage_own_503_page(app, site, database_down):
    from tests.moderation.conftest import OwnContextClient

    app.test_client_class = OwnContextClient
    client = app.test_client()
    make_moderator(sites=(site,))
    db.session.commit()
    signed_in = client.post("/moderate/login", data={"email": "modo@lejourpile.fr",
                                                     "password": "un mot de passe solide"})
    assert signed_in.status_code == 302
    database_down()
    for language, title in (("fr", "Service momentanément indisponible"),
                            ("en", "Temporarily unavailable")):
        response = client.get("/moderate/", headers={"Accept-Language": language})
        assert response.status_code == 503
        page = response.get_data(as_text=True)
        assert title in page and f'<html lang="{language}">' in page
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Retry-After"] == "1"


def test_moderation_sign_in_form_posted_during_a_fault_is_a_503_page(client, database_down):
    database_down()
    response = client.post("/moderate/login", data={"email": "a@b.fr", "password": "x"})
    assert response.status_code == 503
    assert "Content-Security-Policy" in response.headers


def test_failing_session_cleanup_keeps_the_finished_answer(client, site, monkeypatch):
    def fail() -> None:
        raise OperationalError("ROLLBACK", {}, Exception("server closed the connection"))

    monkeypatch.setattr(db.session, "remove", fail)
    response = get_thread(client, headers={"Origin": ORIGIN})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN


def test_cors_answer_after_a_write_reads_nothing_from_the_database(
    client, site, count_queries
):
    response = post_comment(client, headers={"Origin": ORIGIN})
    assert response.status_code == 201
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    after_commit = count_queries.statements[
        max(i for i, s in enumerate(count_queries.statements) if "INSERT" in s) + 1:]
    assert not [s for s in after_commit if "site" in s.split("FROM", 1)[-1][:40]], after_commit


def test_second_preflight_costs_no_query(client, site, count_queries):
    headers = {"Origin": ORIGIN, "Access-Control-Request-Method": "POST"}
    client.options("/api/v1/comments", headers=headers)
    before = count_queries.count
    response = client.options("/api/v1/comments", headers=headers)
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert count_queries.count == before


def test_sqlite_busy_answers_503_that_says_busy(sqlite_url, tmp_path):
    app = make_test_app(sqlite_url, ENGAGE_DB_STATEMENT_TIMEOUT=200)
    with app.app_context():
        make_site()
        db.session.commit()
        locker = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
        locker.execute("BEGIN IMMEDIATE")
        try:
            response = post_comment(app.test_client(), headers={"Origin": ORIGIN})
        finally:
            locker.execute("ROLLBACK")
            locker.close()
        _assert_unavailable(response)
        assert "busy" in response.json["error"]["message"]
        db.session.remove()
        from tests.conftest import _empty_all_tables

        _empty_all_tables()
        db.engine.dispose()


def test_every_answer_carries_a_request_id_and_keeps_a_proxy_one(client):
    generated = client.get("/healthz").headers["X-Request-Id"]
    assert len(generated) == 32
    kept = client.get("/healthz", headers={"X-Request-Id": "nginx-0123456789"})
    assert kept.headers["X-Request-Id"] == "nginx-0123456789"
    forged = client.get("/healthz", headers={"X-Request-Id": "bad id: INFO forged <script>"})
    assert "forged" not in forged.headers["X-Request-Id"]


def test_500_is_logged_with_traceback_and_request_id(app, engage_log):
    @app.get("/api/v1/explode")
    def explode():
        raise RuntimeError("kaboom")

    response = app.test_client().get("/api/v1/explode")
    assert response.status_code == 500
    assert response.json["error"]["code"] == "internal_error"
    log = engage_log.getvalue()
    assert f"ERROR {response.headers['X-Request-Id']} 500 on GET /api/v1/explode" in log
    assert "Traceback" in log and "RuntimeError: kaboom" in log


def test_503_cause_is_logged(client, site, database_down, engage_log):
    database_down()
    response = get_thread(client)
    assert f"{response.headers['X-Request-Id']} 503 on GET /api/v1/thread" in engage_log.getvalue()
    assert "server closed the connection unexpectedly" in engage_log.getvalue()


@pytest.fixture
def dead_redis_app(database_url):
    app = make_test_app(database_url, RATELIMIT_ENABLED=True,
                        ENGAGE_REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    with app.app_context():
        make_site()
        db.session.commit()
        try:
            yield app
        finally:
            from tests.conftest import _empty_all_tables

            db.session.remove()
            _empty_all_tables()
            db.engine.dispose()


def test_redis_down_never_fails_a_write(dead_redis_app):
    client = dead_redis_app.test_client()
    statuses = {post_comment(client, headers={"Origin": ORIGIN}).status_code for _ in range(8)}
    assert statuses == {201, 429}  # the limits still count, in this process's memory


def test_healthz_reports_redis_down_but_stays_200(dead_redis_app):
    response = dead_redis_app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "redis": "down"}


def test_healthz_reports_redis_ok(database_url, redis_url):
    app = make_test_app(database_url, ENGAGE_REDIS_URL=redis_url)
    with app.app_context():
        assert app.test_client().get("/healthz").json == {"status": "ok", "redis": "ok"}
        db.engine.dispose()


def test_unknown_article_thread_read_still_works(client, site):
    assert get_thread(client, article=ARTICLE + "-x").status_code == 200


def test_origin_added_in_this_process_is_allowed_at_once(client, site):
    from engage.services import sites

    headers = {"Origin": "https://nouveau.example"}
    assert get_thread(client, headers=headers).status_code == 403
    sites.add_origins(site, ["https://nouveau.example"])
    db.session.commit()
    allowed = get_thread(client, headers=headers)
    assert allowed.status_code == 200
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://nouveau.example"


def test_database_fault_in_an_after_request_hook_is_a_503(app, site):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: handled, not raised
    calls = []

    @app.after_request
    def failing_hook(response):
        calls.append(1)
        if len(calls) == 1:  # the answer's hooks fail; the error answer's then run
            _fault()
        return response

    response = get_thread(app.test_client(), article="hook", headers={"Origin": ORIGIN})
    assert response.status_code == 503
    assert response.json["error"]["code"] == "unavailable"


def test_logged_path_cannot_forge_a_log_line(client, database_down, engage_log):
    database_down()
    client.post("/api/v1/mod/comments/1/approve%0A2099-01-01 [ERROR] FORGED",
                headers={"Authorization": "Bearer x"})
    lines = engage_log.getvalue().splitlines()
    assert not any(line.startswith("2099") or "FORGED" in line.split("503 on")[0]
                   for line in lines)
    assert "\\n2099" in engage_log.getvalue()


def test_last_resort_answers_in_our_shape_and_keeps_cors_to_the_public_api():
    from engage.serving.guard import LastResort

    def broken(environ, start_response):
        raise RuntimeError("escaped")

    guard = LastResort(broken)
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen.update(status=status, headers=dict(headers))

    body = b"".join(guard({"PATH_INFO": "/api/v1/thread", "REQUEST_METHOD": "GET",
                           "HTTP_ORIGIN": ORIGIN}, start_response))
    assert seen["status"].startswith("500") and b'"internal_error"' in body
    assert seen["headers"]["Access-Control-Allow-Origin"] == ORIGIN
    for path, origin in (("/api/v1/mod/queue", ORIGIN), ("/api/v1/thread", "null")):
        guard({"PATH_INFO": path, "REQUEST_METHOD": "GET", "HTTP_ORIGIN": origin},
              start_response)
        assert "Access-Control-Allow-Origin" not in seen["headers"]
