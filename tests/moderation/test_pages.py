"""The queue page and the decisions taken from it: each changes the comment and the thread."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from engage.extensions import db
from engage.models import (
    AuditEvent,
    Ban,
    Comment,
    CommentStatus,
    Flag,
    FlagReason,
    Thread,
    utcnow,
)
from tests.factories import make_comment, make_moderator, make_thread
from tests.moderation.conftest import ARTICLE
from tests.moderation.helpers import fresh, public_ids, public_thread, text

PENDING = "/moderate/sites/lejourpile/pending"
REPORTED = "/moderate/sites/lejourpile/reported"
EN = {"Accept-Language": "en"}


@pytest.fixture(autouse=True)
def english(client):
    """Speak English here, so the tests read the messages; French is tested in test_language."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"


def act(client, comment_id, action, back=PENDING, **data):
    return client.post(f"/moderate/comments/{comment_id}/{action}", data={"back": back, **data})


# --- the queue page ---------------------------------------------------------------------


def test_index_opens_pending_queue_of_first_site(moderator_client):
    response = moderator_client.get("/moderate/")

    assert response.status_code == 302
    assert response.headers["Location"] == PENDING


def test_index_with_site_opens_that_site(admin_client):
    response = admin_client.get("/moderate/?site=autre")

    assert response.headers["Location"] == "/moderate/sites/autre/pending"


def test_index_without_sites_says_so(client, world):
    make_moderator("seul@lejourpile.fr")
    db.session.commit()
    client.post("/moderate/login", data={"email": "seul@lejourpile.fr",
                                         "password": "un mot de passe solide"})

    response = client.get("/moderate/", headers=EN)

    assert response.status_code == 200
    assert "No site to moderate yet" in text(response)


def test_pending_queue_shows_held_comment_with_rule_author_email_and_article(
        moderator_client, world):
    page = text(moderator_client.get(PENDING, headers=EN))

    assert f'id="comment-{world["pending"].id}"' in page
    assert "suspect word: idiot" in page
    assert "Awa" in page and "awa@example.org" in page
    # The title links to the comment itself on the article page (the widget's anchor).
    assert f'href="https://lejourpile.fr/2026/11/mali-russie#comment-{world["pending"].id}"' in page
    assert "Mali : la Russie renforce sa présence" in page
    assert f"comment-{world['foreign'].id}" not in page  # the other site's


def test_imported_comments_wait_in_the_queue_saying_so(moderator_client, world):
    imported = make_comment(world["thread"], "Venu de WordPress", status=CommentStatus.PENDING,
                            held_reason="imported", source="wordpress", source_id="41")
    db.session.commit()

    page = text(moderator_client.get(PENDING, headers=EN))
    assert f'id="comment-{imported.id}"' in page
    assert "imported, with its status there" in page
    french = text(moderator_client.get(PENDING, headers={"Accept-Language": "fr"}))
    assert "importé, avec le statut qu’il y avait" in french


def test_each_item_says_whether_its_author_was_signed_in_by_the_site(moderator_client, world):
    signed_in = make_comment(world["thread"], "Abonnée depuis dix ans",
                             status=CommentStatus.PENDING, author="Awa Diallo",
                             account_hash="a" * 64, reader_hash="a" * 64, badge="Abonnée")
    db.session.commit()

    page = moderator_client.get(PENDING, headers={"Accept-Language": "fr"}).get_data(
        as_text=True)
    items = {m.group(1): m.group(2) for m in re.finditer(
        r'id="comment-(\d+)"(.*?)</article>', page, re.S)}
    assert "Compte · Abonnée" in text_of(items[str(signed_in.id)])
    assert "Invité" in text_of(items[str(world["pending"].id)])
    assert "Compte" not in text_of(items[str(world["pending"].id)])


def text_of(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_pending_queue_renders_sanitized_body_as_html(moderator_client, world):
    page = text(moderator_client.get(PENDING))

    assert "En <strong>attente</strong> de modération" in page


@pytest.mark.parametrize("payload", ['<script>alert("x")</script>',
                                     '"><img src=x onerror=alert(1)>', "« Élodie » 🇫🇷"])
def test_queue_escapes_author_and_report_note(moderator_client, world, payload):
    comment = make_comment(world["thread"], "Texte", author=payload, flag_count=1)
    db.session.add(Flag(comment_id=comment.id, reader_hash="r9", reason=FlagReason.OTHER,
                        note=payload))
    db.session.commit()

    page = text(moderator_client.get(REPORTED))

    assert "<script>alert" not in page and "<img src=x" not in page
    if "«" in payload:
        assert payload in page


def test_queue_tabs_show_counts(moderator_client, world):
    page = text(moderator_client.get(PENDING, headers=EN))

    tabs = dict(re.findall(r'class="tab tab-(\w+)"[^>]*>[^<]*<span class="count[^"]*">(\d+)<',
                           page))
    assert tabs == {"pending": "1", "reported": "1", "approved": "2", "rejected": "0", "spam": "0"}


def test_reported_queue_lists_illegal_report_first_marked_and_requiring_reason(
        moderator_client, world):
    page = text(moderator_client.get(REPORTED, headers={"Accept-Language": "fr"}))

    item = page[page.index(f'id="comment-{world["reported"].id}"'):]
    assert "Contenu illégal (DSA)" in item
    assert "is-illegal" in page
    assert item.index("appel à la haine") < item.index("pub")
    assert re.search(r'<textarea id="reason-\d+" name="reason"[^>]*required', item)


def test_queue_filters_by_article(moderator_client, world):
    other = make_thread(world["home"], "2026/11/autre-article", title="Un autre article")
    make_comment(other, "Ailleurs sur le site", status=CommentStatus.PENDING)
    db.session.commit()

    page = text(moderator_client.get(PENDING, query_string={"article": "2026/11/autre-article"}))

    assert "Un autre article" in page and "Mali : la Russie" not in page


def test_queue_newest_first_reverses_the_order(moderator_client, world):
    later = make_comment(world["thread"], "Plus récent", status=CommentStatus.PENDING)
    db.session.commit()
    ids = [world["pending"].id, later.id]

    oldest = text(moderator_client.get(PENDING))
    newest = text(moderator_client.get(PENDING, query_string={"order": "newest"}))

    assert oldest.index(f"comment-{ids[0]}\"") < oldest.index(f"comment-{ids[1]}\"")
    assert newest.index(f"comment-{ids[1]}\"") < newest.index(f"comment-{ids[0]}\"")


def test_queue_next_page_follows_the_cursor(moderator_client, world):
    for n in range(50):
        make_comment(world["thread"], f"Numéro {n}", status=CommentStatus.PENDING)
    db.session.commit()

    first = text(moderator_client.get(PENDING, headers=EN))
    link = re.search(r'<a rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    second = text(moderator_client.get(link, headers=EN))

    assert first.count("data-item") == 50 and second.count("data-item") == 1
    assert 'rel="next"' not in second and "First page" in second


def test_queue_with_broken_cursor_is_a_400_page(moderator_client, world):
    response = moderator_client.get(PENDING, query_string={"cursor": "pas-un-curseur"})

    assert response.status_code == 400
    assert response.mimetype == "text/html"


def test_unknown_queue_is_404(moderator_client, world):
    assert moderator_client.get("/moderate/sites/lejourpile/nope").status_code == 404


def test_unknown_site_is_404_page(admin_client):
    response = admin_client.get("/moderate/sites/inconnu/pending")

    assert response.status_code == 404 and response.mimetype == "text/html"


# --- decisions on one comment -----------------------------------------------------------


def test_approve_publishes_held_comment_in_public_thread(moderator_client, world):
    comment_id = world["pending"].id
    assert comment_id not in public_ids(moderator_client)

    response = act(moderator_client, comment_id, "approve")

    assert response.status_code == 302 and response.headers["Location"] == PENDING
    assert fresh(Comment, comment_id).status == CommentStatus.APPROVED
    assert comment_id in public_ids(moderator_client)


@pytest.mark.parametrize(("action", "status"), [("reject", CommentStatus.REJECTED),
                                                ("spam", CommentStatus.SPAM),
                                                ("delete", CommentStatus.DELETED)])
def test_reject_spam_delete_remove_comment_from_public_thread(moderator_client, world, action,
                                                              status):
    comment_id = world["approved"].id
    assert comment_id in public_ids(moderator_client)

    act(moderator_client, comment_id, action)

    assert fresh(Comment, comment_id).status == status
    assert comment_id not in public_ids(moderator_client)


def test_feature_then_unfeature_shows_in_public_thread(moderator_client, world):
    comment_id = world["approved"].id

    act(moderator_client, comment_id, "feature")
    featured = {c["id"]: c["featured"] for c in public_thread(moderator_client)["comments"]}
    act(moderator_client, comment_id, "unfeature")
    unfeatured = {c["id"]: c["featured"] for c in public_thread(moderator_client)["comments"]}

    assert featured[comment_id] is True and unfeatured[comment_id] is False


def test_action_redirects_back_to_same_queue_with_message(moderator_client, world):
    back = f"{PENDING}?order=newest&article={ARTICLE}"

    response = act(moderator_client, world["pending"].id, "approve", back=back)
    page = text(moderator_client.get(response.headers["Location"], headers=EN))

    assert response.headers["Location"] == back
    assert "Comment approved." in page


@pytest.mark.parametrize("back", ["https://evil.example/", "//evil.example/x",
                                  "/api/v1/thread", "/moderate/\\evil.example"])
def test_action_never_goes_back_outside_the_moderation_pages(moderator_client, world, back):
    response = act(moderator_client, world["pending"].id, "approve", back=back)

    assert response.headers["Location"] == PENDING


def test_feature_of_held_comment_is_refused_with_message(moderator_client, world):
    response = act(moderator_client, world["pending"].id, "feature")
    page = text(moderator_client.get(response.headers["Location"], headers=EN))

    assert "Only a published comment can be featured" in page
    assert fresh(Comment, world["pending"].id).featured is False


def test_decision_on_illegal_report_without_reason_is_refused(moderator_client, world):
    response = act(moderator_client, world["reported"].id, "reject", back=REPORTED)
    page = text(moderator_client.get(response.headers["Location"], headers=EN))

    assert "needs a reason" in page
    assert fresh(Comment, world["reported"].id).status == CommentStatus.APPROVED


def test_decision_on_illegal_report_with_reason_settles_the_reports(moderator_client, world):
    act(moderator_client, world["reported"].id, "reject", back=REPORTED,
        reason="Incitation à la haine (art. 24)")

    flags = list(db.session.scalars(select(Flag).where(Flag.comment_id == world["reported"].id)))
    assert fresh(Comment, world["reported"].id).status == CommentStatus.REJECTED
    assert {f.resolution for f in flags} == {"reject"}
    assert {f.resolution_reason for f in flags} == {"Incitation à la haine (art. 24)"}


def test_reason_longer_than_allowed_is_refused(moderator_client, world):
    act(moderator_client, world["pending"].id, "approve", reason="x" * 2001)

    assert fresh(Comment, world["pending"].id).status == CommentStatus.PENDING


def test_unknown_comment_is_404_page(moderator_client, world):
    response = act(moderator_client, 999999, "approve")

    assert response.status_code == 404 and response.mimetype == "text/html"


def test_huge_comment_id_is_404_not_an_overflow(moderator_client, world):
    assert act(moderator_client, 2**40, "approve").status_code == 404


# --- bulk, bans, threads ----------------------------------------------------------------


def test_bulk_action_applies_to_every_ticked_comment(moderator_client, world):
    second = make_comment(world["thread"], "Aussi en attente", status=CommentStatus.PENDING)
    db.session.commit()
    ids = [world["pending"].id, second.id]

    response = moderator_client.post("/moderate/comments/bulk", data={
        "ids": [str(i) for i in ids], "action": "approve", "back": PENDING})
    page = text(moderator_client.get(response.headers["Location"], headers=EN))

    assert {fresh(Comment, i).status for i in ids} == {CommentStatus.APPROVED}
    assert set(ids) <= public_ids(moderator_client)
    assert "2 comments approved." in page


def test_bulk_without_ticked_comments_changes_nothing(moderator_client, world):
    response = moderator_client.post("/moderate/comments/bulk",
                                     data={"action": "reject", "back": PENDING})
    page = text(moderator_client.get(response.headers["Location"], headers=EN))

    assert "Tick at least one comment" in page
    assert fresh(Comment, world["pending"].id).status == CommentStatus.PENDING


def test_bulk_with_illegal_report_needs_a_reason(moderator_client, world):
    moderator_client.post("/moderate/comments/bulk", data={
        "ids": [str(world["reported"].id), str(world["pending"].id)], "action": "reject"})

    assert fresh(Comment, world["pending"].id).status == CommentStatus.PENDING


@pytest.mark.parametrize("bad_id", ["abc", "0", "-3", str(2**40)])
def test_bulk_with_invalid_ids_changes_nothing(moderator_client, world, bad_id):
    response = moderator_client.post("/moderate/comments/bulk", data={
        "ids": [str(world["pending"].id), bad_id], "action": "approve", "back": PENDING})

    assert response.status_code == 302
    assert fresh(Comment, world["pending"].id).status == CommentStatus.PENDING


def test_bulk_with_unknown_action_changes_nothing(moderator_client, world):
    moderator_client.post("/moderate/comments/bulk",
                          data={"ids": [str(world["pending"].id)], "action": "burn"})

    assert fresh(Comment, world["pending"].id).status == CommentStatus.PENDING


def test_ban_for_ever_with_rejection_bans_and_rejects_their_comments(moderator_client, world):
    author = world["pending"]
    other = make_comment(world["thread"], "Encore moi", email="AWA@example.org")
    db.session.commit()

    response = moderator_client.post(f"/moderate/comments/{author.id}/ban", data={
        "days": "forever", "reject_comments": "y", "reason": "Insultes répétées",
        "identifiers": ["email"], "back": PENDING})
    page = text(moderator_client.get(response.headers["Location"], headers=EN))

    db.session.rollback()
    (ban,) = db.session.scalars(select(Ban).where(Ban.site_id == world["home"].id))
    assert ban.expires_at is None and ban.reason == "Insultes répétées"
    assert fresh(Comment, other.id).status == CommentStatus.REJECTED
    assert fresh(Comment, author.id).status == CommentStatus.REJECTED
    assert "Author banned for ever." in page and "2 comments rejected." in page


def test_ban_for_seven_days_keeps_their_comments(moderator_client, world):
    moderator_client.post(f"/moderate/comments/{world['approved'].id}/ban",
                          data={"days": "7", "identifiers": ["reader"]})

    db.session.rollback()
    (ban,) = db.session.scalars(select(Ban).where(Ban.site_id == world["home"].id))
    assert abs(ban.expires_at - (utcnow() + dt.timedelta(days=7))) < dt.timedelta(minutes=1)
    assert fresh(Comment, world["approved"].id).status == CommentStatus.APPROVED


def test_ban_of_author_nothing_identifies_bans_and_rejects_nobody(moderator_client, world):
    anonymous = make_comment(world["thread"], "Anonymisé", author="Anonyme")
    db.session.commit()

    moderator_client.post(f"/moderate/comments/{anonymous.id}/ban",
                          data={"days": "7", "reject_comments": "y",
                                "identifiers": ["reader", "email"]})

    db.session.rollback()
    assert db.session.scalars(select(Ban).where(Ban.site_id == world["home"].id)).all() == []
    assert fresh(Comment, world["approved"].id).status == CommentStatus.APPROVED
    assert fresh(Comment, world["pending"].id).status == CommentStatus.PENDING


def test_moderator_cannot_revive_a_comment_its_author_deleted(moderator_client, world):
    gone = make_comment(world["thread"], "", status=CommentStatus.DELETED)
    db.session.commit()

    moderator_client.post(f"/moderate/comments/{gone.id}/approve", data={})

    assert fresh(Comment, gone.id).status == CommentStatus.DELETED


def test_ban_with_unknown_length_bans_nobody(moderator_client, world):
    moderator_client.post(f"/moderate/comments/{world['approved'].id}/ban", data={"days": "12"})

    db.session.rollback()
    assert db.session.scalars(select(Ban).where(Ban.site_id == world["home"].id)).all() == []


def test_close_then_open_thread_shows_in_public_thread(moderator_client, world):
    moderator_client.post("/moderate/sites/lejourpile/threads/close",
                          data={"article": ARTICLE, "back": PENDING})
    closed = public_thread(moderator_client)["thread"]["open"]
    page = text(moderator_client.get(PENDING, headers=EN))
    moderator_client.post("/moderate/sites/lejourpile/threads/open", data={"article": ARTICLE})
    opened = public_thread(moderator_client)["thread"]["open"]

    assert closed is False and opened is True
    assert "Thread closed" in page and "Open comments on this article" in page
    assert fresh(Thread, world["thread"].id).is_open is True


def test_close_unknown_article_is_404(moderator_client, world):
    response = moderator_client.post("/moderate/sites/lejourpile/threads/close",
                                     data={"article": "inconnu"})

    assert response.status_code == 404


# --- the audit log ----------------------------------------------------------------------


def test_audit_page_lists_actions_newest_first(moderator_client, world):
    act(moderator_client, world["pending"].id, "approve", reason="Rien à redire")
    act(moderator_client, world["approved"].id, "reject")

    page = text(moderator_client.get("/moderate/sites/lejourpile/audit", headers=EN))

    assert page.index("Rejected a comment") < page.index("Approved a comment")
    assert "Rien à redire" in page and "modo@lejourpile.fr" in page
    assert f"#{world['pending'].id}" in page


def test_audit_page_pages_with_cursor(moderator_client, world):
    for n in range(51):
        db.session.add(AuditEvent(site_id=world["home"].id, actor="robot", action="approve",
                                  details={"reason": f"n{n}"}))
    db.session.commit()

    first = text(moderator_client.get("/moderate/sites/lejourpile/audit", headers=EN))
    link = re.search(r'<a rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    second = text(moderator_client.get(link, headers=EN))

    assert "n50" in first and "n0<" not in first
    assert "n0<" in second and 'rel="next"' not in second


def test_audit_page_with_broken_cursor_shows_first_page(moderator_client, world):
    response = moderator_client.get("/moderate/sites/lejourpile/audit?cursor=99999999999999")

    assert response.status_code == 200


def test_audit_page_escapes_reasons_and_changed_words(admin_client, world):
    act(admin_client, world["approved"].id, "reject", reason='<script>alert("x")</script>')
    admin_client.post("/moderate/sites/lejourpile/settings", data={
        "moderation": "post", "banned_words": "<img src=x onerror=alert(1)>", "suspect_words": "",
        "max_links": "2", "edit_window": "15", "report_queue_threshold": "1",
        "report_hide_threshold": "0", "auto_close_days": "0"})

    page = text(admin_client.get("/moderate/sites/lejourpile/audit"))

    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;" in page and "Banned words" in page


def test_a_reply_shows_what_it_answers_the_authors_history_and_the_held_word(
        moderator_client, world):
    parent = world["approved"]
    reply = make_comment(world["thread"], "Vraiment IDIÔT, ce raisonnement", parent=parent,
                         status=CommentStatus.PENDING, held_reason="suspect word: idiot",
                         reader_hash="c" * 64)
    db.session.commit()

    page = text(moderator_client.get(PENDING, headers=EN))

    card = " ".join(page[page.index(f'id="comment-{reply.id}"'):].split())
    assert "In reply to Chloé:" in card and "Déjà publié" in card
    assert "<mark>IDIÔT</mark>" in card
    # Chloé's token: her published comment and this one.
    assert "2 comments (1 published, 1 waiting, 0 rejected, 0 spam)" in card


def test_a_reported_published_comment_offers_keep_and_the_ban_form_its_identifiers(
        moderator_client, world):
    page = text(moderator_client.get("/moderate/sites/lejourpile/reported", headers=EN))

    card = page[page.index(f'id="comment-{world["reported"].id}"'):]
    assert '>Keep</button>' in card and 'data-action="approve"' in card
    assert 'name="identifiers" value="ip"' in card and "can be shared" in card


def test_the_bans_page_lists_and_lifts(moderator_client, world):
    from engage.services import bans

    ban, _ = bans.ban_author(world["moderator"], world["approved"], days=3,
                             reason="insultes", identifiers=("reader",))
    db.session.commit()
    ban_id = ban.id

    page = text(moderator_client.get("/moderate/sites/lejourpile/bans", headers=EN))
    assert "insultes" in page and "suspended until" in page and "ailleurs" not in page

    response = moderator_client.post(f"/moderate/bans/{ban_id}/lift",
                                     data={"reason": "erreur", "back": "/moderate/"})
    assert response.status_code == 302
    db.session.rollback()
    assert db.session.get(Ban, ban_id) is None
    audit = text(moderator_client.get("/moderate/sites/lejourpile/audit", headers=EN))
    assert "Lifted a ban" in audit and "Déjà publié" in audit
