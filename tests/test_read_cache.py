"""The read cache (engage/serving/cache.py): hits cost no query, and every write that changes
what a reader sees shows in the very next read, on this worker and on any other."""

from __future__ import annotations

import gzip
import threading
import uuid

import brotli
import pytest
from sqlalchemy import event

from engage.extensions import db
from engage.models import CommentStatus
from tests.api.helpers import ARTICLE, READER, post_comment
from tests.api.test_mod import act, auth
from tests.conftest import make_test_app
from tests.factories import (
    ORIGIN,
    SITE_KEY,
    make_comment,
    make_moderator,
    make_site,
    make_thread,
    make_token,
)

ARTICLE_URL = f"{ORIGIN}/{ARTICLE}"


def read(client, headers=None, **params):
    query = {"site": SITE_KEY, "article": ARTICLE, **params}
    return client.get("/api/v1/thread", query_string=query, headers=headers or {})


def counts(client):
    return client.get("/api/v1/counts", query_string={"site": SITE_KEY, "article": ARTICLE})


@pytest.fixture
def world(app):
    site = make_site()
    thread = make_thread(site, ARTICLE)
    world = {
        "site": site, "thread": thread,
        "published": make_comment(thread, "Déjà « publié »"),
        "pending": make_comment(thread, "En attente", status=CommentStatus.PENDING),
        "token": make_token(make_moderator(sites=(site,))),
    }
    db.session.commit()
    return {k: getattr(v, "id", v) for k, v in world.items()}


def ids(response):
    return [c["id"] for c in response.json["comments"]]


def test_repeated_read_costs_no_query(client, world, count_queries):
    first = read(client)
    before = count_queries.count
    again = read(client)
    assert again.data == first.data and again.headers["ETag"] == first.headers["ETag"]
    assert count_queries.count == before


def test_revalidation_from_the_cache_costs_no_query(client, world, count_queries):
    etag = read(client).headers["ETag"]
    before = count_queries.count
    response = read(client, {"If-None-Match": etag})
    assert response.status_code == 304
    assert count_queries.count == before


def test_repeated_counts_cost_no_query(client, world, count_queries):
    first = counts(client)
    before = count_queries.count
    assert counts(client).json == first.json
    assert count_queries.count == before


def test_cache_miss_costs_what_the_read_path_costs(client, world, count_queries):
    read(client)
    # The site, the thread, a page of top-level comments, their replies (services/listing.py).
    assert len([s for s in count_queries.statements if s.lstrip().startswith("SELECT")]) <= 5


@pytest.mark.parametrize("coding, decode", [("br", brotli.decompress),
                                            ("gzip", gzip.decompress)])
def test_cached_answer_is_compressed_for_clients_that_accept_it(client, world, coding, decode):
    plain = read(client).data
    response = read(client, {"Accept-Encoding": f"{coding}, identity;q=0.5"})
    assert response.headers["Content-Encoding"] == coding
    assert decode(response.data) == plain
    assert "Accept-Encoding" in response.headers["Vary"]


def test_public_answers_carry_no_session_and_a_cdn_cache_control(client, world):
    for response in (read(client), read(client), counts(client), client.get("/embed.js")):
        assert "Cookie" not in response.headers.get("Vary", "")
        assert "Set-Cookie" not in response.headers
    control = read(client).headers["Cache-Control"]
    assert "public" in control and "s-maxage=5" in control
    assert "stale-while-revalidate=30" in control and "max-age=0" in control


def test_cached_answer_keeps_cors_per_origin(client, world):
    read(client)
    allowed = read(client, {"Origin": ORIGIN})
    assert allowed.headers["Access-Control-Allow-Origin"] == ORIGIN
    refused = read(client, {"Origin": "https://evil.example"})
    # The other origin reads its refusal, never the cached comments.
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "forbidden_origin"


# --- every write path shows in the next read ----------------------------------------------

def _reader(n=0):
    return {"X-Engage-Reader": f"{READER}-{n}", "Origin": ORIGIN}


def _post(client, world):
    response = post_comment(client, headers=_reader())
    return lambda before, after: response.json["comment"]["id"] in ids(after)


def _reply(client, world):
    response = post_comment(client, headers=_reader(), parent_id=world["published"])
    reply = response.json["comment"]["id"]
    return lambda before, after: reply in [r["id"] for c in after.json["comments"]
                                           for r in c["replies"]]


def _own(client):
    posted = post_comment(client, headers=_reader()).json
    return posted["comment"]["id"], {"X-Engage-Edit-Token": posted["edit_token"], **_reader()}


def _edit(client, world):
    comment, headers = _own(client)
    read(client)  # cached with the comment as first written
    client.patch(f"/api/v1/comments/{comment}", json={"body": "Corrigé « ici »"},
                 headers=headers)
    return lambda before, after: "Corrigé « ici" in after.get_data(as_text=True)


def _delete(client, world):
    comment, headers = _own(client)
    read(client)
    client.delete(f"/api/v1/comments/{comment}", headers=headers)
    return lambda before, after: comment not in ids(after)


def _like(client, world):
    client.post(f"/api/v1/comments/{world['published']}/like", headers=_reader())
    return lambda before, after: after.json["comments"][0]["likes"] == 1


def _unlike(client, world):
    client.post(f"/api/v1/comments/{world['published']}/like", headers=_reader())
    read(client)
    client.delete(f"/api/v1/comments/{world['published']}/like", headers=_reader())
    return lambda before, after: after.json["comments"][0]["likes"] == 0


def _reaction(client, world):
    client.put("/api/v1/reaction", headers=_reader(), json={
        "site": SITE_KEY, "article": ARTICLE, "url": ARTICLE_URL, "title": "T",
        "reaction": "love"})
    return lambda before, after: after.json["thread"]["reactions"]["love"] == 1


def _reaction_removed(client, world):
    _reaction(client, world)
    read(client)
    client.delete("/api/v1/reaction", query_string={"site": SITE_KEY, "article": ARTICLE},
                  headers=_reader())
    return lambda before, after: after.json["thread"]["reactions"]["love"] == 0


def _share(client, world):
    client.post("/api/v1/shares", headers=_reader(), json={
        "site": SITE_KEY, "article": ARTICLE, "url": ARTICLE_URL, "title": "T",
        "network": "whatsapp"})
    return lambda before, after: after.json["thread"]["shares"]["whatsapp"] == 1


def _report_hides(client, world):
    from engage.models import Site
    from engage.services import sites

    sites.set_options(db.session.get(Site, world["site"]), {"report_hide_threshold": "1"})
    db.session.commit()
    read(client)
    client.post(f"/api/v1/comments/{world['published']}/flag", headers=_reader(),
                json={"reason": "abuse"})
    return lambda before, after: world["published"] not in ids(after)


def _moderate(action, check):
    def write(client, world):
        target = world["pending"] if action == "approve" else world["published"]
        response = act(client, world["token"], target, action)
        assert response.status_code == 200, response.json
        return lambda before, after: check(world, after)
    return write


def _bulk(client, world):
    client.post("/api/v1/mod/comments/bulk", headers=auth(world["token"]),
                json={"ids": [world["published"]], "action": "reject"})
    return lambda before, after: ids(after) == []


def _ban_rejecting(client, world):
    posted = post_comment(client, headers=_reader(7)).json["comment"]["id"]
    read(client)
    response = client.post("/api/v1/mod/bans", headers=auth(world["token"]), json={
        "site": SITE_KEY, "comment_id": posted, "reject_comments": True})
    assert response.status_code in {200, 201}, response.json
    return lambda before, after: posted not in ids(after)


def _close(client, world):
    client.post("/api/v1/mod/threads/close", headers=auth(world["token"]),
                json={"site": SITE_KEY, "article": ARTICLE})
    return lambda before, after: after.json["thread"]["open"] is False


def _site_setting(client, world):
    from engage.models import Site, Thread
    from engage.services import sites

    thread = db.session.get(Thread, world["thread"])
    thread.created_at = thread.created_at.replace(year=2020)
    db.session.commit()
    read(client)
    sites.set_options(db.session.get(Site, world["site"]), {"auto_close_days": "30"})
    db.session.commit()
    return lambda before, after: after.json["thread"]["open"] is False


def _erasure(client, world):
    from engage.services import privacy

    post_comment(client, headers=_reader(), email="awa@example.org", author="Awa Efface")
    read(client)
    privacy.erase("awa@example.org")
    db.session.commit()
    return lambda before, after: "Awa Efface" not in after.get_data(as_text=True)


def _settings_page(client, world):
    from engage.models import Site

    site = db.session.get(Site, world["site"])
    from engage.services import sites

    sites.set_options(site, {"moderation": "pre"})  # no visible change by itself
    db.session.commit()
    return lambda before, after: after.status_code == 200


def _reply_notifications_off(client, world):
    from engage.models import Site
    from engage.services import sites

    sites.set_options(db.session.get(Site, world["site"]), {"notify_replies": "false"})
    db.session.commit()
    return lambda before, after: (before.json["thread"]["notify_replies"] is True
                                  and after.json["thread"]["notify_replies"] is False)


def _post_asking_for_replies(client, world):
    posted = post_comment(client, headers=_reader(8), email="awa@example.org",
                          notify_replies=True)
    assert posted.status_code == 201, posted.json
    return lambda before, after: posted.json["comment"]["id"] in ids(after)


WRITES = {
    "post": _post, "reply": _reply, "edit": _edit, "delete": _delete, "like": _like,
    "unlike": _unlike, "reaction": _reaction, "reaction removed": _reaction_removed,
    "share": _share, "report hiding a comment": _report_hides,
    "approve": _moderate("approve", lambda w, after: w["pending"] in ids(after)),
    "reject": _moderate("reject", lambda w, after: w["published"] not in ids(after)),
    "spam": _moderate("spam", lambda w, after: w["published"] not in ids(after)),
    "moderator delete": _moderate("delete", lambda w, after: w["published"] not in ids(after)),
    "feature": _moderate("feature", lambda w, after: after.json["comments"][0]["featured"]),
    "bulk reject": _bulk, "ban rejecting comments": _ban_rejecting, "close": _close,
    "site setting": _site_setting, "erasure": _erasure, "other setting": _settings_page,
    "reply notifications off": _reply_notifications_off,
    "post asking for replies": _post_asking_for_replies,
}


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_every_write_shows_in_the_next_read(client, world, write):
    before = read(client)
    before_counts = counts(client).json
    assert read(client).data == before.data  # now served from the cache
    shows = write(client, world)
    after = read(client)
    assert shows(before, after)
    db.session.expire_all()
    from engage.models import Thread

    thread = db.session.get(Thread, world["thread"])
    fresh = counts(client).json["counts"][ARTICLE]
    assert fresh["comments"] == thread.comment_count
    assert fresh["reactions"] == sum(thread.reactions.values())
    assert before_counts is not None


def html(client, **extra):
    query = {"site": SITE_KEY, "article": ARTICLE, **extra}
    return client.get("/api/v1/thread.html", query_string=query)


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_every_write_shows_in_the_next_html_fragment(client, world, write, count_queries):
    before = html(client)
    queries = count_queries.count
    assert html(client).data == before.data and count_queries.count == queries  # cached
    write(client, world)
    after = html(client)
    # A query the cache has never seen: built by Flask from the database, the truth.
    fresh = html(client, fresh=uuid.uuid4().hex)
    assert after.data == fresh.data and after.headers["ETag"] == fresh.headers["ETag"]


def test_the_sites_language_shows_in_the_next_html_fragment(client, world):
    from engage.models import Site
    from engage.services import sites

    assert 'lang="fr"' in html(client).get_data(as_text=True)
    assert 'lang="fr"' in html(client).get_data(as_text=True)  # from the cache
    sites.set_options(db.session.get(Site, world["site"]), {"language": "en"})
    db.session.commit()

    fragment = html(client).get_data(as_text=True)
    assert 'lang="en"' in fragment and "2 comments" not in fragment and "1 comment<" in fragment


def test_unfeature_shows_in_the_next_read(client, world):
    act(client, world["token"], world["published"], "feature")
    assert read(client).json["comments"][0]["featured"] is True
    act(client, world["token"], world["published"], "unfeature")
    assert read(client).json["comments"][0]["featured"] is False


def test_origin_added_shows_in_cached_cors(client, world):
    from engage.models import Site
    from engage.services import sites

    read(client)
    assert read(client, {"Origin": "https://amp.lejourpile.fr"}).status_code == 403
    sites.add_origins(db.session.get(Site, world["site"]), ["https://amp.lejourpile.fr"])
    db.session.commit()
    response = read(client, {"Origin": "https://amp.lejourpile.fr"})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "https://amp.lejourpile.fr"


def test_thread_closing_by_age_expires_its_cached_answer(client, world, monkeypatch):
    import time as real_time

    from engage.models import Site, Thread
    from engage.services import sites

    thread = db.session.get(Thread, world["thread"])
    sites.set_options(db.session.get(Site, world["site"]), {"auto_close_days": "1"})
    db.session.commit()
    assert read(client).json["thread"]["open"] is True
    closes = thread.created_at.timestamp() + 86400
    later = closes + 5
    monkeypatch.setattr(real_time, "time", lambda: later)
    # The database is now told the same moment: the thread is a day and 5 s old.
    thread.created_at = thread.created_at.replace(year=thread.created_at.year - 1)
    db.session.commit()
    assert read(client).json["thread"]["open"] is False


def test_a_write_rolled_back_moves_nothing(client, world, count_queries):
    from engage.models import Comment

    read(client)
    comment = db.session.get(Comment, world["published"])
    comment.author = "Jamais"
    db.session.flush()
    db.session.rollback()
    before = count_queries.count
    read(client)
    assert count_queries.count == before


# --- several workers --------------------------------------------------------------------

@pytest.fixture
def two_workers(database_url, tmp_path):
    """Two apps on the same database and version store, as two gunicorn workers are."""
    # Same config, so the same store: the instance folder's file on SQLite, Redis on PostgreSQL.
    apps = [make_test_app(database_url) for _ in range(2)]
    with apps[0].app_context():
        make_site()
        db.session.commit()
    yield apps
    from tests.conftest import _empty_all_tables

    with apps[0].app_context():
        _empty_all_tables()
    for app in apps:
        with app.app_context():
            db.engine.dispose()


def test_write_on_one_worker_shows_on_the_other(two_workers):
    reader, writer = (app.test_client() for app in two_workers)
    with two_workers[0].app_context():
        read(reader)
        assert read(reader).json["comments"] == []
    with two_workers[1].app_context():
        posted = post_comment(writer, headers=_reader()).json["comment"]["id"]
    with two_workers[0].app_context():
        assert ids(read(reader)) == [posted]


def test_no_stale_answer_survives_concurrent_writes_on_another_worker(two_workers):
    errors: list[str] = []
    acknowledged: list[int] = []
    done = threading.Event()

    def write() -> None:
        client = two_workers[1].test_client()
        for n in range(25):
            with two_workers[1].app_context():
                response = post_comment(client, headers=_reader(n), body=f"n° {n} {uuid.uuid4()}")
            if response.status_code != 201:
                errors.append(response.get_data(as_text=True))
                continue
            posted = response.json["comment"]["id"]
            # Once the write is acknowledged, the other worker's very next read shows it.
            with two_workers[0].app_context():
                listed = ids(read(two_workers[0].test_client(), limit=100))
            if posted not in listed:
                errors.append(f"comment {posted} acknowledged but not listed")
            acknowledged.append(posted)
        done.set()

    def hammer() -> None:
        client = two_workers[0].test_client()
        while not done.is_set():
            with two_workers[0].app_context():
                read(client, limit=100)

    readers = [threading.Thread(target=hammer) for _ in range(3)]
    for thread in readers:
        thread.start()
    write()
    for thread in readers:
        thread.join()
    assert errors == []
    with two_workers[0].app_context():
        assert sorted(ids(read(two_workers[0].test_client(), limit=100))) == sorted(acknowledged)


def test_a_worker_first_asked_to_revalidate_keeps_the_answer(two_workers):
    # After a write, readers' browsers come back with If-None-Match: a worker that only ever
    # sees revalidations must still keep the body, or each one would cost a database read.
    first, second = (app.test_client() for app in two_workers)
    with two_workers[0].app_context():
        etag = read(first).headers["ETag"]
    with two_workers[1].app_context():
        revalidated = read(second, {"If-None-Match": etag})
        assert revalidated.status_code == 304 and revalidated.headers["ETag"] == etag
        statements: list[str] = []
        listener = lambda conn, cursor, statement, *args: statements.append(statement)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert read(second, {"If-None-Match": etag}).status_code == 304
            full = read(second)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        assert full.status_code == 200 and full.json["comments"] == []
        assert statements == []
