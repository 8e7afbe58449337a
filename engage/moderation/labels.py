"""Words the moderation pages show for the services' values, in the moderator's language.

The services speak English to the API and the logs; these tables and patterns turn their
values and messages into translatable text. Anything unknown is shown as it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext, ngettext

from ..errors import ApiError, Conflict
from ..models import CommentStatus, FlagReason
from ..services.moderation import MAX_BULK, Action, Queue

QUEUE_LABELS = {
    Queue.PENDING: _l("Pending"),
    Queue.REPORTED: _l("Reported"),
    Queue.APPROVED: _l("Approved"),
    Queue.REJECTED: _l("Rejected"),
    Queue.SPAM: _l("Spam"),
}

# One comment's status (a badge): in French the adjective agrees with "commentaire", unlike
# the queues' names, hence a context of their own.
STATUS_LABELS = {
    CommentStatus.PENDING: lazy_pgettext("status", "Pending"),
    CommentStatus.APPROVED: lazy_pgettext("status", "Published"),
    CommentStatus.REJECTED: lazy_pgettext("status", "Rejected"),
    CommentStatus.SPAM: lazy_pgettext("status", "Spam"),
    CommentStatus.DELETED: lazy_pgettext("status", "Deleted"),
}

ACTION_LABELS = {
    Action.APPROVE: _l("Approve"),
    Action.REJECT: _l("Reject"),
    Action.SPAM: _l("Spam"),
    Action.DELETE: _l("Delete"),
    Action.FEATURE: _l("Feature"),
    Action.UNFEATURE: _l("Unfeature"),
}

FLAG_LABELS = {
    FlagReason.SPAM: _l("Spam"),
    FlagReason.ABUSE: _l("Abuse"),
    FlagReason.OFFTOPIC: _l("Off topic"),
    FlagReason.ILLEGAL: _l("Illegal content (DSA)"),
    FlagReason.OTHER: _l("Other"),
}

# What the audit log calls each entry (moderation.record's action names).
AUDIT_LABELS = {
    "approve": _l("Approved a comment"),
    "reject": _l("Rejected a comment"),
    "spam": _l("Marked a comment as spam"),
    "delete": _l("Deleted a comment"),
    "feature": _l("Featured a comment"),
    "unfeature": _l("Unfeatured a comment"),
    "ban": _l("Banned an author"),
    "lift_ban": _l("Lifted a ban"),
    "close_thread": _l("Closed a thread"),
    "open_thread": _l("Reopened a thread"),
    "settings": _l("Changed the settings"),
}

# The options of sites.SiteSettings, for the settings form and the audit log.
SETTING_LABELS = {
    "moderation": _l("Moderation"),
    "hold_first_comment": _l("Hold a reader's first comment on the site"),
    "banned_words": _l("Banned words"),
    "suspect_words": _l("Suspect words"),
    "max_links": _l("Most links in a comment"),
    "edit_window": _l("Editing window (minutes)"),
    "report_queue_threshold": _l("Reports before the reported queue"),
    "report_hide_threshold": _l("Reports that hide a comment"),
    "auto_close_days": _l("Close threads after (days)"),
    "spam_honeypot": _l("Hidden field filled in"),
    "spam_too_fast": _l("Sent faster than a person types"),
    "spam_min_seconds": _l("Least seconds between showing and sending the form"),
    "spam_duplicate": _l("Same comment again within 10 minutes"),
    "spam_akismet": _l("Spam service says spam"),
    "akismet_key": _l("Akismet-compatible key (empty: off)"),
    "akismet_url": _l("Akismet-compatible service URL"),
    "erasure": _l("When a reader's data is erased, their comments"),
    "notify_moderators": _l("E-mail moderators a digest of waiting comments"),
    "notify_replies": _l("Let readers get the replies to their comments by e-mail"),
    "language": _l("Language of the comments in the page's HTML"),
}

SIGNAL_ACTIONS = (("reject", _l("Refuse it")), ("hold", _l("Hold it for a moderator")),
                  ("off", _l("Let it through")))
# Each language in its own name, as language menus show them.
LANGUAGES = (("fr", "Français"), ("en", "English"))
ERASURE_MODES = (("tombstone", _l("become tombstones (text removed)")),
                 ("anonymize", _l("stay, signed “Anonyme”")))

DETAIL_LABELS = {
    "reason": _l("reason"),
    "days": _l("days"),
    "rejected_comments": _l("comments rejected"),
    "article": _l("article"),
    "changes": _l("changes"),
    "identifiers": _l("banned by"),
    "ban_id": _l("ban"),
    "ban_reason": _l("reason of the ban"),
    "banned_by": _l("banned by moderator"),
}


def action_done(action: Action, count: int | None = None) -> str:
    """Return the message shown after an action on one comment, or on `count` of them."""
    if count is None:
        return {
            Action.APPROVE: _("Comment approved."),
            Action.REJECT: _("Comment rejected."),
            Action.SPAM: _("Comment marked as spam."),
            Action.DELETE: _("Comment deleted."),
            Action.FEATURE: _("Comment featured."),
            Action.UNFEATURE: _("Comment no longer featured."),
        }[action]
    return {
        Action.APPROVE: lambda n: ngettext("%(num)d comment approved.",
                                           "%(num)d comments approved.", n),
        Action.REJECT: lambda n: ngettext("%(num)d comment rejected.",
                                          "%(num)d comments rejected.", n),
        Action.SPAM: lambda n: ngettext("%(num)d comment marked as spam.",
                                        "%(num)d comments marked as spam.", n),
        Action.DELETE: lambda n: ngettext("%(num)d comment deleted.",
                                          "%(num)d comments deleted.", n),
        Action.FEATURE: lambda n: ngettext("%(num)d comment featured.",
                                           "%(num)d comments featured.", n),
        Action.UNFEATURE: lambda n: ngettext("%(num)d comment no longer featured.",
                                             "%(num)d comments no longer featured.", n),
    }[action](count)


_HELD: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (re.compile(r"edited: (.+)"), lambda m: _("after an edit: %(reason)s",
                                             reason=held_reason(m.group(1)))),
    (re.compile(r"banned word: (.+)"), lambda m: _("banned word: %(word)s", word=m.group(1))),
    (re.compile(r"suspect word: (.+)"), lambda m: _("suspect word: %(word)s", word=m.group(1))),
    (re.compile(r"(\d+) links \(more than (\d+)\)"),
     lambda m: _("%(links)s links (more than %(most)s)", links=m.group(1), most=m.group(2))),
    (re.compile(r"pre-moderation"), lambda m: _("every comment is moderated first")),
    (re.compile(r"first comment"), lambda m: _("first comment of this reader")),
    (re.compile(r"imported"), lambda m: _("imported, with its status there")),
    (re.compile(r"reported (\d+) times"),
     lambda m: _("reported %(count)s times", count=m.group(1))),
]


def held_reason(reason: str) -> str:
    """Translate the rule that held a comment (engage.services.rules' wording)."""
    for pattern, translate in _HELD:
        match = pattern.fullmatch(reason)
        if match:
            return translate(match)
    return reason


_SETTINGS_ERRORS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (re.compile(r"must be a whole number from (\d+) to (\d+).*"),
     lambda m: _("Enter a whole number from %(low)s to %(high)s.", low=m.group(1),
                 high=m.group(2))),
    (re.compile(r"must be post or pre"), lambda m: _("Choose one of the two modes.")),
    (re.compile(r"must be true or false"), lambda m: _("Tick the box or leave it empty.")),
    (re.compile(r"each word is at most (\d+) characters"),
     lambda m: _("Each word or phrase is at most %(most)s characters.", most=m.group(1))),
    (re.compile(r"at most (\d+) words"),
     lambda m: _("At most %(most)s words.", most=m.group(1))),
]


def settings_error(message: str) -> str:
    """Translate what sites.set_options found wrong with one option."""
    for pattern, translate in _SETTINGS_ERRORS:
        match = pattern.fullmatch(message)
        if match:
            return translate(match)
    return message


def error_message(error: ApiError) -> str:
    """Say in the moderator's language why a decision could not apply."""
    if isinstance(error, Conflict) and "deleted" in error.message:
        return _("This comment was deleted by its author: there is nothing to decide.")
    if isinstance(error, Conflict):  # featuring a comment that is not published
        return _("Only a published comment can be featured or unfeatured.")
    if "comment_id" in error.fields:
        return _("Nothing identifies this comment's author any more: no ban is possible.")
    if "reason" in error.fields:
        return _("A decision on a report of illegal content needs a reason.")
    if "ids" in error.fields:
        return _("Select from 1 to %(most)s comments.", most=MAX_BULK)
    return _("This action could not be applied.")


def webhook_error(error: ApiError) -> str:
    """Say in the moderator's language why a webhook address was refused."""
    complaint = error.fields.get("url", "")
    if "public" in complaint:
        return _("The address must be public: private, loopback and local names are refused.")
    if "too many" in complaint:
        return _("A site has at most %(most)s webhooks.", most=20)
    if "user" in complaint:
        return _("The address may not hold a user name, a password or a #fragment.")
    if "events" in error.fields:
        return _("Unknown event.")
    return _("The address must start with https://.")
