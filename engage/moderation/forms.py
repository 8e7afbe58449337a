"""The moderation pages' forms: what each POST may carry, checked by Flask-WTF (CSRF included)."""

from __future__ import annotations

import dataclasses
from typing import Any

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import (
    BooleanField,
    HiddenField,
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    URLField,
)
from wtforms.validators import AnyOf, DataRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget, NumberInput

from ..services.accounts import LOCALES
from ..services.moderation import MAX_BULK, Action
from ..services.sites import SiteSettings
from ..services.webhooks import EVENTS
from .labels import ERASURE_MODES, LANGUAGES, SETTING_LABELS, SIGNAL_ACTIONS, settings_error

# Fields with a fixed set of values are plain strings checked with AnyOf: the templates draw
# their options (each comment's form has its own ids), so a SelectField would only validate.

REASON_MAX = 2000  # as the moderation API allows
ID_MAX = 2**31 - 1  # the largest id an integer column holds: no overflow on PostgreSQL


class LoginForm(FlaskForm):
    email = StringField(_l("Email"), validators=[DataRequired(), Length(max=254)],
                        render_kw={"autocomplete": "username", "type": "email"})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1000)],
                             render_kw={"autocomplete": "current-password"})
    next = HiddenField()
    submit = SubmitField(_l("Sign in"))


class LanguageForm(FlaskForm):
    locale = StringField(_l("Language"), validators=[AnyOf(LOCALES)])
    back = HiddenField()


class ActionForm(FlaskForm):
    """One comment's decision: the action is in the URL, the reason in the form."""

    reason = TextAreaField(_l("Reason for the decision"), validators=[Length(max=REASON_MAX)])
    back = HiddenField()


class BulkForm(FlaskForm):
    # The checkboxes are rendered by hand in each card; they only need to be whole numbers.
    ids = SelectMultipleField(coerce=int, validate_choice=False,
                              validators=[Length(min=1, max=MAX_BULK)])
    action = StringField(_l("With the selection"), validators=[AnyOf([a.value for a in Action])])
    reason = TextAreaField(_l("Reason"), validators=[Length(max=REASON_MAX)])
    back = HiddenField()

    def validate_ids(self, field: SelectMultipleField) -> None:
        if not all(1 <= i <= ID_MAX for i in field.data or []):
            raise ValidationError(_l("Not a comment id."))

    @property
    def chosen(self) -> Action:
        return Action(self.action.data)


MODERATION_MODES = [
    ("post", _l("Publish at once, moderate afterwards")),
    ("pre", _l("Hold every comment until a moderator approves it")),
]

BAN_LENGTHS = [("1", _l("1 day")), ("7", _l("7 days")), ("30", _l("30 days")),
               ("forever", _l("For ever"))]


class BanForm(FlaskForm):
    days = StringField(_l("Ban for"), validators=[AnyOf([value for value, _label in BAN_LENGTHS])],
                       default="7")
    # Checkboxes drawn by hand in each card; none ticked is refused by the view.
    identifiers = SelectMultipleField(choices=[SelectChoice(name, name)
                                               for name in ("reader", "email", "ip")])
    reject_comments = BooleanField(_l("Also reject their comments waiting or visible"))
    reason = TextAreaField(_l("Reason"), validators=[Length(max=REASON_MAX)])
    back = HiddenField()

    @property
    def days_or_forever(self) -> int | None:
        return None if self.days.data == "forever" else int(self.days.data or 0)


class LiftForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[Length(max=REASON_MAX)])
    back = HiddenField()


class ShortcutsForm(FlaskForm):
    enabled = StringField(validators=[AnyOf(["on", "off"])])
    back = HiddenField()


class ThreadForm(FlaskForm):
    article = HiddenField(validators=[DataRequired(), Length(max=255)])
    back = HiddenField()


class QueueFilterForm(FlaskForm):
    """The queue's GET parameters: order, article, page cursor (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    order = StringField(_l("Order"), default="", validators=[AnyOf(["", "newest", "oldest"])])
    article = StringField(_l("Article id"), validators=[Optional(), Length(max=255)])
    q = StringField(_l("Search"), validators=[Optional(), Length(max=200)])
    cursor = HiddenField(validators=[Optional(), Length(max=200)])

    @property
    def oldest_first(self) -> bool | None:
        return {"newest": False, "oldest": True}.get(self.order.data or "")


def _choices(pairs: tuple[tuple[str, Any], ...]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def _with_command(message: Any, command: str) -> LazyString:
    """A help text naming a command the site's owner types: the command is shown as code, the
    translated words around it escaped."""
    return LazyString(lambda: Markup(escape(str(message)))
                      % {"command": Markup("<code>%s</code>") % command})


def _number(label: object, description: object) -> StringField:
    # Kept as text: sites.set_options parses and bounds every option, and says what is wrong.
    return StringField(label, description=description, widget=NumberInput(min=0),
                       validators=[DataRequired()])


class SettingsForm(FlaskForm):
    """Every option of sites.SiteSettings, as the strings sites.set_options parses."""

    moderation = StringField(SETTING_LABELS["moderation"])
    hold_first_comment = BooleanField(SETTING_LABELS["hold_first_comment"])
    banned_words = TextAreaField(
        SETTING_LABELS["banned_words"],
        description=_l("One per line or separated by commas. "
                       "A comment containing one is rejected at once."))
    suspect_words = TextAreaField(
        SETTING_LABELS["suspect_words"],
        description=_l("One per line or separated by commas. "
                       "A comment containing one waits for a moderator."))
    max_links = _number(SETTING_LABELS["max_links"],
                        _l("A comment with more links waits for a moderator."))
    edit_window = _number(SETTING_LABELS["edit_window"],
                          _l("How long an author may edit or delete their comment."))
    report_queue_threshold = _number(SETTING_LABELS["report_queue_threshold"],
                                     _l("At least 1."))
    report_hide_threshold = _number(
        SETTING_LABELS["report_hide_threshold"],
        _l("Hidden until a moderator looks at it. 0: never hidden."))
    auto_close_days = _number(SETTING_LABELS["auto_close_days"],
                              _l("No new comments on older articles. 0: never closed."))

    spam_honeypot = SelectField(SETTING_LABELS["spam_honeypot"], choices=_choices(SIGNAL_ACTIONS))
    spam_too_fast = SelectField(SETTING_LABELS["spam_too_fast"], choices=_choices(SIGNAL_ACTIONS))
    spam_min_seconds = _number(SETTING_LABELS["spam_min_seconds"],
                               _l("Only when the widget sent its form token."))
    spam_duplicate = SelectField(SETTING_LABELS["spam_duplicate"], choices=_choices(SIGNAL_ACTIONS))
    spam_akismet = SelectField(SETTING_LABELS["spam_akismet"], choices=_choices(SIGNAL_ACTIONS))
    akismet_key = StringField(SETTING_LABELS["akismet_key"], description=_l(
        "With a key, each new comment (and the reader's IP) is sent to this service."))
    akismet_url = StringField(SETTING_LABELS["akismet_url"])
    erasure = SelectField(SETTING_LABELS["erasure"], choices=_choices(ERASURE_MODES))
    language = SelectField(SETTING_LABELS["language"], choices=_choices(LANGUAGES), description=_l(
        "What search engines and readers without JavaScript see; the widget follows the page."))
    notify_moderators = BooleanField(SETTING_LABELS["notify_moderators"], description=_with_command(
        _l("Sent by the %(command)s command, at most once per run and only with news."),
        "engage notify"))
    notify_replies = BooleanField(SETTING_LABELS["notify_replies"], description=_l(
        "Readers who give an e-mail may ask for the approved replies to their comments, after "
        "confirming their address; every mail has a one-click unsubscribe link."))

    OPTIONS = ("moderation", "hold_first_comment", "banned_words", "suspect_words", "max_links",
               "edit_window", "report_queue_threshold", "report_hide_threshold",
               "auto_close_days", "spam_honeypot", "spam_too_fast", "spam_min_seconds",
               "spam_duplicate", "spam_akismet", "akismet_key", "akismet_url", "erasure",
               "notify_moderators", "notify_replies", "language")
    CHECKBOXES = ("hold_first_comment", "notify_moderators", "notify_replies")

    def options(self) -> dict[str, str]:
        """Return the options as strings, as sites.set_options takes them."""
        values = {name: str(getattr(self, name).data or "") for name in self.OPTIONS}
        for name in self.CHECKBOXES:
            values[name] = "true" if getattr(self, name).data else "false"
        return values

    @classmethod
    def for_settings(cls, settings: SiteSettings) -> SettingsForm:
        """Return the form filled with the site's options (a POST's own values win)."""
        data: dict[str, Any] = dataclasses.asdict(settings)
        for name in ("banned_words", "suspect_words"):
            data[name] = "\n".join(data[name])
        for name in ("max_links", "edit_window", "report_queue_threshold",
                     "report_hide_threshold", "auto_close_days", "spam_min_seconds"):
            data[name] = str(data[name])
        return cls(data=data)

    def add_service_errors(self, fields: dict[str, str]) -> None:
        """Show under each option what sites.set_options found wrong with it."""
        for name, message in fields.items():
            field = getattr(self, name, None)
            if field is not None:
                field.errors = [*field.errors, settings_error(message)]


class WebhookForm(FlaskForm):
    """A new webhook endpoint: its address and the events it wants (none ticked: all)."""

    url = URLField(_l("Address (https://)"), validators=[DataRequired(), Length(max=2048)])
    events = SelectMultipleField(
        _l("Events"), choices=[SelectChoice(e, e) for e in EVENTS], validators=[Optional()],
        option_widget=CheckboxInput(), widget=ListWidget(prefix_label=False),
        description=_l("None ticked: every event."))
