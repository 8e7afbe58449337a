"""Findings of a security probe: each test names the hole it keeps closed.

- a thread URL whose host a browser reads differently from urlsplit (WHATWG URL rules);
- a lone surrogate or a control character in any field of a JSON body (was a 500);
- client IPs and reader tokens in clear in the rate limiter's Redis keys.
"""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import func, select

from engage.extensions import db
from engage.identity import keyed_hash
from engage.models import ArticleReaction, Comment, Flag, Share, Thread
from engage.services import spam
from engage.services.sites import normalize_origin
from tests.api.helpers import ARTICLE, READER, assert_error, comment_payload, post_comment
from tests.conftest import _empty_all_tables, make_test_app
from tests.factories import ORIGIN, SITE_KEY, make_comment, make_site, make_thread

LOCAL_ORIGIN = "http://localhost:8000"
IDN_ORIGIN = "https://xn--lejourpil-j4a.fr"  # lejourpilé.fr, as browsers send it

# URLs that urlsplit reads as on lejourpile.fr while browsers (WHATWG URL rules) read another
# host, or that are otherwise ambiguous. Refused, never repaired: malformed ones at the gate
# (400 on url), the others when they would make a thread (403 forbidden_origin).
MALFORMED_URLS = [
    "https://evil.example\\@lejourpile.fr/2026/11/mali-russie",  # "\" ends the host
    "https://evil.example%5C@lejourpile.fr/",  # user info, even percent-encoded
    "https://evil.example@lejourpile.fr/",
    "https://lejourpile.fr@evil.example/",
    "https://lejourpile.fr:443@evil.example/",
    "https://lecteur:secret@lejourpile.fr/",
    "https:\\\\evil.example/",
    "https:/\\evil.example/",
    "https:\\/evil.example/",
    "https:evil.example/",
    "https:///evil.example/",
    "https://lejourpile.fr\\.evil.example/",
    "https://lejourpile.fr/a\\b",
    "https://lejour\tpile.fr/",  # browsers drop tabs and newlines anywhere
    "https://lejour\npile.fr/",
    "https://evil.example\t@lejourpile.fr/",
    "https://lejourpile.fr /a",
    "https://lejourpile.fr\u3000/a",  # an ideographic space
    "https://lejourpile.fr\u202e/a",
    "httpſ://lejourpile.fr/",  # U+017F is no "s" in a scheme
]
AMBIGUOUS_HOST_URLS = [
    "https://lejourpile%2Efr/",  # browsers decode a host's percent escapes
    "https://ｌejourpile.fr/",  # fullwidth: browsers map it to "l"
    "https://lejourpile.fr\u3002evil.example/",  # ideographic full stop: a "." to browsers
    "https://lejourpilé.fr/",  # IDN: only its xn-- form is accepted
    "https://lejourpile..fr/",
    "https://lejourpile.fr:99999/",
    "https://0x7f.1/",  # 127.0.0.1 to a browser
    "https://010.0.0.1/",  # 8.0.0.1 to a browser
    "https://1.2.3.4.5/",
]
CONFUSING_URLS = MALFORMED_URLS + AMBIGUOUS_HOST_URLS
LEGITIMATE_URLS = [
    f"{ORIGIN}/2026/11/mali-russie?utm_source=newsletter&page=2#commentaires",
    "HTTPS://LEJOURPILE.FR/2026/11/Mali-Russie",
    f"{ORIGIN}:443/2026/11/mali-russie",
    f"{LOCAL_ORIGIN}/2026/11/mali-russie",
    f"{ORIGIN}/2026/11/économie-«ça-repart»-à-l’été",
    f"{ORIGIN}/2026/11/%C2%AB%C2%A0mali%C2%A0%C2%BB",
    f"{ORIGIN}/2026/11/a%5Cb",  # a percent-encoded backslash in a path is only a path
    f"{ORIGIN}/@redaction/billet?next=/a@b",
    f"{IDN_ORIGIN}/2026/11/mali-russie",
]


@pytest.fixture
def site(app):
    site = make_site(origins=(ORIGIN, LOCAL_ORIGIN, IDN_ORIGIN))
    db.session.commit()
    return site


@pytest.fixture
def seeded(site):
    """A thread with one comment, which every refused write must leave as it was."""
    comment = make_comment(make_thread(site, ARTICLE))
    db.session.commit()
    return comment.id


def snapshot():
    db.session.rollback()
    db.session.expire_all()
    counts = tuple(
        db.session.scalar(select(func.count()).select_from(m))
        for m in (Comment, Thread, ArticleReaction, Share, Flag)
    )
    threads = [(t.article, t.url, t.title) for t in db.session.scalars(select(Thread))]
    bodies = [(c.author, c.body_source) for c in db.session.scalars(select(Comment))]
    return counts, threads, bodies


def article_ref(**overrides):
    return {
        "site": SITE_KEY,
        "article": "nouvel-article",
        "url": f"{ORIGIN}/nouvel-article",
        "title": "Un titre",
        **overrides,
    }


WRITES = [
    ("post", "/api/v1/comments", lambda **ref: comment_payload(article="nouvel-article", **ref)),
    ("put", "/api/v1/reaction", lambda **ref: {**article_ref(**ref), "reaction": "love"}),
    ("post", "/api/v1/shares", lambda **ref: {**article_ref(**ref), "network": "whatsapp"}),
]


# --- 1. URLs whose host a browser reads differently -----------------------------------------


@pytest.mark.parametrize("url", CONFUSING_URLS)
def test_normalize_origin_refuses_url_a_browser_reads_differently(url):
    assert normalize_origin(url) is None


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("HTTPS://LEJOURPILE.FR/Article", ORIGIN),
        ("https://lejourpile.fr:443/a?b=c#d", ORIGIN),
        ("https://lejourpile.fr:/a", ORIGIN),
        ("https://lejourpile.fr:8443/a", "https://lejourpile.fr:8443"),
        ("http://LocalHost:8000", LOCAL_ORIGIN),
        ("https://lejourpile.fr#@evil.example", ORIGIN),  # "@" in a fragment is no user info
        ("https://lejourpile.fr?@evil.example", ORIGIN),
        ("http://127.0.0.1:80/", "http://127.0.0.1"),
        ("https://[0:0::1]:8443/", "https://[::1]:8443"),
        (f"{IDN_ORIGIN}/a", IDN_ORIGIN),
    ],
)
def test_normalize_origin_reads_plain_urls_as_browsers_do(url, origin):
    assert normalize_origin(url) == origin


@pytest.mark.parametrize("url", MALFORMED_URLS)
@pytest.mark.parametrize(("method", "path", "payload"), WRITES)
def test_write_with_malformed_url_is_400_and_changes_nothing(
    client, seeded, method, path, payload, url
):
    before = snapshot()

    response = getattr(client, method)(
        path, json=payload(url=url), headers={"X-Engage-Reader": READER}
    )

    assert "url" in assert_error(response, 400, "validation_error")["fields"]
    assert snapshot() == before


@pytest.mark.parametrize("url", AMBIGUOUS_HOST_URLS)
@pytest.mark.parametrize(("method", "path", "payload"), WRITES)
def test_first_write_with_ambiguous_host_is_forbidden_origin(
    client, seeded, method, path, payload, url
):
    before = snapshot()

    response = getattr(client, method)(
        path, json=payload(url=url), headers={"X-Engage-Reader": READER}
    )

    assert_error(response, 403, "forbidden_origin")
    assert snapshot() == before


@pytest.mark.parametrize("url", MALFORMED_URLS[:6])
def test_comment_on_existing_thread_with_malformed_url_is_400(client, seeded, url):
    before = snapshot()

    response = post_comment(client, url=url)

    assert_error(response, 400, "validation_error")
    assert snapshot() == before


@pytest.mark.parametrize("url", AMBIGUOUS_HOST_URLS[:4])
def test_comment_on_existing_thread_never_takes_its_url(client, seeded, url):
    thread_url = db.session.scalar(select(Thread.url))

    response = post_comment(client, url=url)

    assert response.status_code == 201
    db.session.expire_all()
    assert db.session.scalar(select(Thread.url)) == thread_url


@pytest.mark.parametrize("url", LEGITIMATE_URLS)
def test_first_comment_with_legitimate_url_stores_it_as_given(client, site, url):
    response = post_comment(client, article="nouvel-article", url=url)

    assert response.status_code == 201, response.get_json()
    assert db.session.scalar(select(Thread.url)) == url


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example\\@lejourpile.fr",
        "https://evil.example@lejourpile.fr",
        "https://lejourpile.fr@evil.example",
        "https://lejourpile%2Efr",
        "https:\\\\lejourpile.fr",
        "https://lejourpile.fr\\",
        "https://0x7f.1",
    ],
)
def test_write_from_confusing_origin_header_is_forbidden(client, seeded, origin):
    before = snapshot()

    response = post_comment(client, headers={"Origin": origin})

    assert_error(response, 403, "forbidden_origin")
    assert "Access-Control-Allow-Origin" not in response.headers
    assert snapshot() == before


def test_read_from_confusing_origin_header_is_refused_without_cors_header(client, seeded):
    response = client.get(
        "/api/v1/thread",
        query_string={"site": SITE_KEY, "article": ARTICLE},
        headers={"Origin": "https://evil.example\\@lejourpile.fr"},
    )

    assert_error(response, 403, "forbidden_origin")
    assert "Access-Control-Allow-Origin" not in response.headers


# --- 2. lone surrogates and control characters in any field ---------------------------------

INVALID_TEXT = ["\ud800", "\udfff", "a\udc00b", "\x00", "\x1b[31m", "\x7f", "\u202e", "\u2066"]
FIELDS_OF = {
    ("post", "/api/v1/comments"): [
        "site",
        "article",
        "url",
        "title",
        "author",
        "email",
        "body",
        "website",
        "form_token",
        "parent_id",
    ],
    ("put", "/api/v1/reaction"): ["site", "article", "url", "title", "reaction"],
    ("post", "/api/v1/shares"): ["site", "article", "url", "title", "network"],
    ("post", "/api/v1/comments/{id}/flag"): ["reason", "note"],
    ("patch", "/api/v1/comments/{id}"): ["body"],
}
GOOD_BODIES = {
    "/api/v1/comments": lambda: comment_payload(),
    "/api/v1/reaction": lambda: {**article_ref(), "reaction": "love"},
    "/api/v1/shares": lambda: {**article_ref(), "network": "x"},
    "/api/v1/comments/{id}/flag": lambda: {"reason": "spam", "note": "publicité"},
    "/api/v1/comments/{id}": lambda: {"body": "corrigé"},
}
FIELD_CASES = [(m, p, f) for (m, p), fields in FIELDS_OF.items() for f in fields]


def send_raw(client, method, path, body, comment_id):
    # json.dumps escapes a lone surrogate as "\ud800", as a hostile client would send it.
    return getattr(client, method)(
        path.format(id=comment_id),
        data=json.dumps(body),
        content_type="application/json",
        headers={"X-Engage-Reader": READER, "X-Engage-Edit-Token": "x"},
    )


@pytest.mark.parametrize("value", INVALID_TEXT)
@pytest.mark.parametrize(("method", "path", "field"), FIELD_CASES)
def test_invalid_text_in_any_field_is_400_naming_it(client, seeded, method, path, field, value):
    before = snapshot()
    body = {**GOOD_BODIES[path](), field: value}

    response = send_raw(client, method, path, body, seeded)

    assert field in assert_error(response, 400, "validation_error")["fields"]
    assert snapshot() == before


@pytest.mark.parametrize("value", INVALID_TEXT[:3])
@pytest.mark.parametrize(("method", "path"), list(FIELDS_OF))
def test_lone_surrogate_even_in_unknown_field_is_400(client, seeded, method, path, value):
    before = snapshot()
    body = {**GOOD_BODIES[path](), "not_a_field": value}

    response = send_raw(client, method, path, body, seeded)

    assert "not_a_field" in assert_error(response, 400, "validation_error")["fields"]
    assert snapshot() == before


def test_lone_surrogate_form_token_is_400_not_500(client, seeded):
    response = send_raw(
        client, "post", "/api/v1/comments", comment_payload(form_token="\ud800"), seeded
    )

    assert assert_error(response, 400, "validation_error")["fields"] == {
        "form_token": "contains invalid characters (a lone surrogate)"
    }


@pytest.mark.parametrize("field", ["form_token", "website"])
@pytest.mark.parametrize("value", ["a\nb", "a\tb", "a\u2028b"])
def test_line_break_in_single_line_field_is_400(client, seeded, field, value):
    before = snapshot()

    response = post_comment(client, **{field: value})

    assert field in assert_error(response, 400, "validation_error")["fields"]
    assert snapshot() == before


@pytest.mark.parametrize(
    "body",
    [
        {"website": {"nested": ["\ud800"]}},
        {"form_token": ["ok", {"deep": "\udc80"}]},
        {"\ud800": "a key, not a value"},
    ],
)
def test_invalid_text_nested_or_in_a_key_is_400(client, seeded, body):
    before = snapshot()

    response = send_raw(client, "post", "/api/v1/comments", {**comment_payload(), **body}, 0)

    assert set(assert_error(response, 400, "validation_error")["fields"]) == {
        next(iter(body)).encode("unicode_escape").decode()
    }
    assert snapshot() == before


def test_surrogate_as_raw_utf8_bytes_is_400(client, seeded):
    # Python's json decodes bytes with "surrogatepass": ED A0 80 becomes a lone surrogate.
    raw = json.dumps(comment_payload(author="AWA")).encode().replace(b"AWA", b"A\xed\xa0\x80")

    response = client.post("/api/v1/comments", data=raw, content_type="application/json")

    assert "author" in assert_error(response, 400, "validation_error")["fields"]


def test_comment_with_valid_surrogate_pair_is_accepted(client, seeded):
    response = send_raw(client, "post", "/api/v1/comments", comment_payload(body="Bravo 😀"), 0)

    assert response.status_code == 201


@pytest.mark.parametrize("token", ["\ud800", "é" * 10, "not.a.token"])
def test_unreadable_form_token_proves_nothing(app, site, token):
    assert spam._seconds_since_shown(site, token) is None


# --- 3. rate-limit keys in Redis ------------------------------------------------------------

# One prefix for the whole run: Flask-Limiter keeps the first non-empty prefix of the process.
REDIS_PREFIX = f"engage-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def limited_app(database_url, redis_url):
    import redis

    app = make_test_app(
        database_url,
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI=redis_url,
        RATELIMIT_KEY_PREFIX=REDIS_PREFIX,
        SECRET_KEY=f"secret-{uuid.uuid4().hex}",
    )
    store = redis.Redis.from_url(redis_url)
    with app.app_context():
        make_comment(make_thread(make_site(), ARTICLE))
        db.session.commit()
        try:
            yield app, store
        finally:
            for key in store.scan_iter(match=f"*{REDIS_PREFIX}*"):
                store.delete(key)
            db.session.remove()
            _empty_all_tables()
            db.engine.dispose()


def test_rate_limit_keys_hold_no_ip_reader_token_or_email(limited_app):
    app, store = limited_app
    client = app.test_client()
    headers = {"X-Engage-Reader": READER}
    comment_id = db.session.scalar(select(Comment.id))

    posted = post_comment(client, headers=headers)
    flagged = client.post(
        f"/api/v1/comments/{comment_id}/flag", json={"reason": "spam"}, headers=headers
    )
    reacted = client.put(
        "/api/v1/reaction", json={**article_ref(), "reaction": "love"}, headers=headers
    )
    client.post("/moderate/login", data={"email": "modo@lejourpile.fr", "password": "faux"})

    assert [r.status_code for r in (posted, flagged, reacted)] == [201, 200, 200]

    keys = [k.decode() for k in store.scan_iter(match=f"*{REDIS_PREFIX}*")]
    assert keys, "no rate-limit key written: is the limiter on Redis?"
    for clear in ("127.0.0.1", READER, "modo@lejourpile.fr"):
        assert not [k for k in keys if clear in k]
    assert any(keyed_hash("limit", "127.0.0.1") in k for k in keys)
    assert any(keyed_hash("limit", READER) in k for k in keys)
