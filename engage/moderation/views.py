"""The moderation pages: queues, decisions on comments, bans, threads, settings, audit log."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.wrappers import Response

from ..errors import Conflict, ValidationError
from ..extensions import db
from ..models import Site
from ..services import accounts, bans, moderation, queue_context
from ..services.moderation import Action, Queue
from ..services.sites import settings_of
from . import bp
from .auth import current_moderator, local_target
from .forms import (
    BAN_LENGTHS,
    ID_MAX,
    MODERATION_MODES,
    REASON_MAX,
    ActionForm,
    BanForm,
    BulkForm,
    LiftForm,
    QueueFilterForm,
    SettingsForm,
    ShortcutsForm,
    ThreadForm,
)
from .labels import action_done, error_message

T = TypeVar("T")

QUEUES = "any(pending, reported, approved, rejected, spam)"
ACTIONS = "any(approve, reject, spam, delete, feature, unfeature)"
COMMENT_ID = f"int(max={ID_MAX})"


def _back(target: str | None, site: Site | None = None) -> str:
    """Where a form goes back to: the page it came from, else the site's pending queue."""
    fallback = (url_for(".show_queue", site_key=site.key, queue=Queue.PENDING.value) if site
                else url_for(".index"))
    return local_target(target) or fallback


def _apply(work: Callable[[], T], back: str, done: Callable[[T], str]) -> Response:
    """Run one service call, commit, say how it went, and go back to the page (PRG)."""
    try:
        result = work()
    except (ValidationError, Conflict) as error:
        # The page is fine, the decision is not: say why on the same page.
        db.session.rollback()
        flash(error_message(error), "error")
        return redirect(back)
    db.session.commit()
    flash(done(result), "success")
    return redirect(back)


def _refuse(back: str, message: str) -> Response:
    flash(message, "error")
    return redirect(back)


@bp.get("/")
def index() -> Response | str:
    """Open the pending queue of the site asked for (?site=), else of the moderator's first."""
    moderator = current_moderator()
    if request.args.get("site"):
        site = moderation.site_for(moderator, request.args["site"])
    else:
        sites = moderation.sites_of(moderator)
        if not sites:
            return render_template("moderation/no_sites.html", sites=[])
        site = sites[0]
    return redirect(url_for(".show_queue", site_key=site.key, queue=Queue.PENDING.value))


@bp.get(f"/sites/<site_key>/<{QUEUES}:queue>")
def show_queue(site_key: str, queue: str) -> str:
    """Show one page of a site's queue, with a form for each decision."""
    moderator = current_moderator()
    site = moderation.site_for(moderator, site_key)
    filters = QueueFilterForm(formdata=request.args)
    if not filters.validate():
        raise ValidationError("Unknown filter.")
    page = queue_context.add_context(moderation.read_queue(
        site, Queue(queue), oldest_first=filters.oldest_first,
        article=filters.article.data or None, search=filters.q.data or None,
        cursor=filters.cursor.data or None,
    ))
    return render_template(
        "moderation/queue.html", site=site, page=page, filters=filters,
        counts=moderation.queue_counts(site), sites=moderation.sites_of(moderator),
        back=request.full_path.rstrip("?"), ban_lengths=BAN_LENGTHS, reason_max=REASON_MAX,
    )


@bp.post(f"/comments/<{COMMENT_ID}:comment_id>/<{ACTIONS}:action>")
def act_on_comment(comment_id: int, action: str) -> Response:
    """Approve, reject, mark as spam, delete, feature or unfeature one comment."""
    moderator = current_moderator()
    comment = moderation.comment_for(moderator, comment_id)
    form = ActionForm()
    back = _back(form.back.data, comment.thread.site)
    if not form.validate_on_submit():
        return _refuse(back, _("The reason is at most %(most)s characters.", most=REASON_MAX))
    chosen, reason = Action(action), (form.reason.data or "").strip()

    def decide() -> Any:
        moderation.check_decision_reason(moderator, [comment.id], chosen, reason)
        return moderation.act(moderator, comment, chosen, reason)

    return _apply(decide, back, lambda _comment: action_done(chosen))


@bp.post("/comments/bulk")
def act_in_bulk() -> Response:
    """Apply one action to the comments ticked in a queue: all or none."""
    moderator = current_moderator()
    form = BulkForm()
    back = _back(form.back.data)
    if not form.validate_on_submit():
        return _refuse(back, _("Tick at least one comment, then choose an action."))
    chosen, ids, reason = form.chosen, form.ids.data or [], (form.reason.data or "").strip()

    def decide() -> list[Any]:
        moderation.check_decision_reason(moderator, ids, chosen, reason)
        return moderation.act_in_bulk(moderator, ids, chosen, reason)

    return _apply(decide, back, lambda done: action_done(chosen, len(done)))


@bp.post(f"/comments/<{COMMENT_ID}:comment_id>/ban")
def ban_author(comment_id: int) -> Response:
    """Ban a comment's author from its site, for some days or for ever."""
    moderator = current_moderator()
    comment = moderation.comment_for(moderator, comment_id)
    form = BanForm()
    back = _back(form.back.data, comment.thread.site)
    if not form.validate_on_submit():
        return _refuse(back, _("Choose how long the ban lasts."))
    days = form.days_or_forever
    if not form.identifiers.data:
        return _refuse(back, _("Choose what the ban matches: reader, e-mail or IP."))
    identifiers = tuple(form.identifiers.data)

    reject, reason = bool(form.reject_comments.data), (form.reason.data or "").strip()

    def done(result: tuple[Any, int]) -> str:
        banned = (ngettext("Author banned for %(num)d day.", "Author banned for %(num)d days.",
                           days) if days else _("Author banned for ever."))
        return f"{banned} {action_done(Action.REJECT, result[1])}" if reject else banned

    return _apply(lambda: bans.ban_author(moderator, comment, days=days, reason=reason,
                                          reject_comments=reject, identifiers=identifiers),
                  back, done)


@bp.get("/sites/<site_key>/bans")
def show_bans(site_key: str) -> str:
    """Show the site's bans in force: what each matches, since when, by whom, why, until."""
    moderator = current_moderator()
    site = moderation.site_for(moderator, site_key)
    return render_template("moderation/bans.html", site=site, bans=bans.bans_of(site),
                           identifiers_of=bans.identifiers_of,
                           sites=moderation.sites_of(moderator), reason_max=REASON_MAX,
                           back=request.full_path.rstrip("?"))


@bp.post(f"/bans/<{COMMENT_ID}:ban_id>/lift")
def lift_ban(ban_id: int) -> Response:
    """Lift a ban (audited)."""
    moderator = current_moderator()
    ban = bans.ban_for(moderator, ban_id)
    form = LiftForm()
    back = _back(form.back.data, ban.site)
    if not form.validate_on_submit():
        return _refuse(back, _("The reason is at most %(most)s characters.", most=REASON_MAX))
    return _apply(lambda: bans.lift(moderator, ban, (form.reason.data or "").strip()), back,
                  lambda _done: _("Ban lifted: the author may comment again."))


@bp.post("/shortcuts")
def set_shortcuts() -> Response:
    """Turn the queue's one-key shortcuts on or off for the signed-in moderator."""
    form = ShortcutsForm()
    back = _back(form.back.data)
    if not form.validate_on_submit():
        return _refuse(back, _("This form is not valid."))
    enabled = form.enabled.data == "on"
    return _apply(lambda: accounts.set_shortcuts(current_moderator(), enabled), back,
                  lambda _done: _("Keyboard shortcuts on.") if enabled
                  else _("Keyboard shortcuts off."))


@bp.post("/sites/<site_key>/threads/<any(close, open):change>")
def change_thread(site_key: str, change: str) -> Response:
    """Close an article's comments, or open them again."""
    moderator = current_moderator()
    site = moderation.site_for(moderator, site_key)
    form = ThreadForm()
    back = _back(form.back.data, site)
    if not form.validate_on_submit():
        return _refuse(back, _("This article is unknown."))
    return _apply(
        lambda: moderation.set_thread_open(moderator, site, form.article.data or "",
                                           change == "open"),
        back,
        lambda thread: _("Comments are open again on this article.") if thread.is_open
        else _("Comments are closed on this article."),
    )


@bp.route("/sites/<site_key>/settings", methods=["GET", "POST"])
def edit_settings(site_key: str) -> str | Response:
    """Show and save a site's moderation options (admins only)."""
    moderator = current_moderator()
    site = moderation.site_for(moderator, site_key)
    moderation.authorize_admin(moderator)
    form = SettingsForm.for_settings(settings_of(site))
    if form.validate_on_submit():
        try:
            moderation.update_settings(moderator, site, form.options())
        except ValidationError as error:
            db.session.rollback()
            form.add_service_errors(error.fields)
        else:
            db.session.commit()
            flash(_("Settings saved."), "success")
            return redirect(url_for(".edit_settings", site_key=site_key))
    return render_template("moderation/settings.html", site=site, form=form,
                           moderation_modes=MODERATION_MODES,
                           sites=moderation.sites_of(moderator), back=request.path)


@bp.get("/sites/<site_key>/audit")
def show_audit(site_key: str) -> str:
    """Show the site's audit log, newest first, a page at a time."""
    moderator = current_moderator()
    site = moderation.site_for(moderator, site_key)
    cursor = request.args.get("cursor", type=int)
    events, next_cursor = moderation.audit_log(
        site, cursor if cursor and 0 < cursor <= ID_MAX else None)
    return render_template("moderation/audit.html", site=site, events=events,
                           comments=queue_context.comments_of(events),
                           next_cursor=next_cursor, sites=moderation.sites_of(moderator),
                           back=request.full_path.rstrip("?"))
