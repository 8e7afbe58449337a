"""GET /api/v1/thread.html: the thread's first page as a crawlable HTML fragment."""

from __future__ import annotations

import re

import pytest

from engage.extensions import db
from engage.models import CommentStatus
from tests.api.helpers import ARTICLE, assert_error, post_comment
from tests.factories import SITE_KEY, make_comment, make_site, make_thread


@pytest.fixture
def thread(app):
    thread = make_thread(make_site(), ARTICLE)
    db.session.commit()
    return thread


def get_html(client, article=ARTICLE, site=SITE_KEY, headers=None):
    return client.get("/api/v1/thread.html", query_string={"site": site, "article": article},
                      headers=headers)


def test_fragment_lists_approved_comments_with_microdata_and_nesting(client, thread):
    top = make_comment(thread, "Très **juste** « à chaud » !", author="Noémie",
                       email="noemie@exemple.fr", reader_hash="r" * 64, ip_hash="i" * 64)
    reply = make_comment(thread, "Pas d’accord.", parent=top, author="Jean")
    make_comment(thread, "En attente", status=CommentStatus.PENDING)
    make_comment(thread, "Refusé", status=CommentStatus.REJECTED)
    make_comment(thread, "Pourriel", status=CommentStatus.SPAM)
    db.session.commit()

    response = get_html(client)

    assert response.status_code == 200
    assert response.content_type == "text/html; charset=utf-8"
    html = response.get_data(as_text=True)
    assert '<section class="engage-static" lang="fr" data-engage-static>' in html
    assert "2 commentaires" in html
    assert "<strong>juste</strong>" in html and "Noémie" in html
    for hidden in ("En attente", "Refusé", "Pourriel", "noemie@", "r" * 64, "i" * 64):
        assert hidden not in html
    assert f'id="comment-{top.id}" itemscope itemtype="https://schema.org/Comment"' in html
    # The reply is inside its parent's item, as its "comment" property.
    parent_item = html[html.index(f'id="comment-{top.id}"'):]
    assert parent_item.index(f'id="comment-{reply.id}"') < parent_item.index("</li>")
    assert f'id="comment-{reply.id}" itemscope itemtype="https://schema.org/Comment" ' \
        'itemprop="comment"' in html
    assert re.search(r'<time itemprop="dateCreated" datetime="\d{4}-\d\d-\d\dT[^"]+">'
                     r"\d{1,2} \w+ \d{4}</time>", html)
    assert "activez JavaScript" in html
    assert "<script" not in html and "<style" not in html and " style=" not in html


def test_fragment_escapes_names_and_keeps_only_sanitized_bodies(client, thread):
    make_comment(thread, "<script>alert(1)</script> [lien](javascript:alert(1))",
                 author='<img src=x onerror="alert(1)">')
    db.session.commit()

    html = get_html(client).get_data(as_text=True)

    assert "<img" not in html and "<script" not in html and 'href="javascript' not in html
    assert "&lt;img src=x onerror=" in html


def test_fragment_speaks_the_sites_language(client, app):
    site = make_site(language="en")
    thread = make_thread(site, ARTICLE)
    make_comment(thread, "Great piece")
    db.session.commit()

    html = get_html(client).get_data(as_text=True)

    assert 'lang="en"' in html and "1 comment<" in html and "need JavaScript" in html


def test_fragment_of_an_unknown_article_is_empty_not_an_error(client, thread):
    html = get_html(client, article="jamais/commente").get_data(as_text=True)

    assert "0 commentaire<" in html and "<ol" not in html  # French: 0 is singular


def test_fragment_shows_a_deleted_comment_with_replies_as_a_tombstone(client, thread):
    top = make_comment(thread, "Effacé par son auteur", status=CommentStatus.DELETED)
    make_comment(thread, "Une réponse qui reste", parent=top)
    db.session.commit()

    html = get_html(client).get_data(as_text=True)

    assert "Effacé par son auteur" not in html and "Ce commentaire a été supprimé." in html
    assert "Une réponse qui reste" in html


def test_fragment_revalidates_with_its_own_etag_and_304(client, thread):
    make_comment(thread, "Un avis")
    db.session.commit()
    first = get_html(client)
    etag = first.headers["ETag"]
    json_etag = client.get("/api/v1/thread", query_string={
        "site": SITE_KEY, "article": ARTICLE}).headers["ETag"]

    assert etag != json_etag  # another representation, another tag
    cache_control = first.headers["Cache-Control"]
    assert "max-age=0" in cache_control and "public" in cache_control
    again = get_html(client, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""

    assert post_comment(client).status_code == 201
    changed = get_html(client, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


@pytest.mark.parametrize(("query", "status", "code"), [
    ({"site": SITE_KEY}, 400, "validation_error"),
    ({"site": SITE_KEY, "article": "x" * 300}, 400, "validation_error"),
    ({"site": "nope", "article": ARTICLE}, 404, "unknown_site"),
])
def test_bad_queries_get_the_contracts_errors(client, thread, query, status, code):
    assert_error(client.get("/api/v1/thread.html", query_string=query), status, code)


def test_fragment_is_served_under_a_csp_that_runs_nothing(client, thread):
    response = get_html(client)

    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
