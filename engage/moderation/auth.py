"""Signing moderators in and out, the language of their pages, and who may see which page."""

from __future__ import annotations

import hmac
from urllib.parse import urlsplit

from flask import flash, has_request_context, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import UserMixin, current_user, login_user, logout_user
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from ..extensions import db, limiter, login_manager
from ..identity import keyed_hash
from ..limits import by_ip, named
from ..models import Moderator
from ..services import accounts
from . import bp
from .forms import LanguageForm, LoginForm

# Endpoints an anonymous visitor may reach; every other page needs a signed-in moderator.
PUBLIC_ENDPOINTS = {"moderation.login"}


class SignedIn(UserMixin):
    """The Flask-Login user: a moderator, whose session id also seals their password hash."""

    def __init__(self, moderator: Moderator) -> None:
        self.moderator = moderator

    @property
    def is_active(self) -> bool:
        return self.moderator.is_active

    def get_id(self) -> str:
        # Changing the password changes the id, which ends the sessions opened with the old one.
        return f"{self.moderator.id}.{_seal(self.moderator)}"


def _seal(moderator: Moderator) -> str:
    # A new password or a new session version (sign-out, disabling, revoke-tokens) changes
    # the seal: every session opened before, and every copy of its cookie, stops working.
    return keyed_hash("session", f"{moderator.session_version}:{moderator.password_hash}")[:32]


@login_manager.user_loader
def load_user(user_id: str) -> SignedIn | None:
    """Return the signed-in moderator, or None when the account is gone, changed or inactive."""
    raw_id, _dot, seal = user_id.partition(".")
    moderator = accounts.moderator_by_id(int(raw_id)) if raw_id.isdigit() else None
    # Flask-Login only checks is_active at sign-in: a deactivated moderator is signed out here.
    if moderator is None or not moderator.is_active:
        return None
    if not hmac.compare_digest(seal, _seal(moderator)):
        return None
    return SignedIn(moderator)


@login_manager.unauthorized_handler
def ask_to_sign_in() -> Response:
    """Send an anonymous visitor to the sign-in form, and back to the page afterwards."""
    flash(_("Please sign in to moderate."), "info")
    # Only a page can be come back to: a form's POST would come back as a GET.
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("moderation.login", next=target))


@bp.before_request
def require_login() -> Response | None:
    """Keep every page but the sign-in form for signed-in moderators (secure by default)."""
    if request.endpoint in PUBLIC_ENDPOINTS or current_user.is_authenticated:
        return None
    return login_manager.unauthorized()  # type: ignore[no-any-return]


def current_moderator() -> Moderator:
    """Return the moderator of this request (require_login has made sure there is one)."""
    return current_user.moderator  # type: ignore[no-any-return]


def select_locale() -> str:
    """Pick the pages' language: the moderator's choice, else the browser's, else French."""
    if not has_request_context():
        return "fr"
    try:
        if current_user.is_authenticated and current_user.moderator.locale:
            return current_user.moderator.locale  # type: ignore[no-any-return]
    except SQLAlchemyError:
        pass  # the database is failing: the page that says so still needs a language
    return request.accept_languages.best_match(accounts.LOCALES) or "fr"


def local_target(target: str | None) -> str | None:
    """Return target if it is a path of these pages, so no form can redirect elsewhere."""
    if not target:
        return None
    parts = urlsplit(target)
    prefix = url_for("moderation.index")
    if parts.scheme or parts.netloc or not parts.path.startswith(prefix) or "\\" in target:
        return None
    # No control characters or spaces: a Location header could not carry them.
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in target):
        return None
    return target


def by_login_email() -> str:
    """Count sign-in attempts per email given, hashed so the limiter's storage keeps no email."""
    email = request.form.get("email", "").strip().lower()
    return f"login-email:{keyed_hash('limit', email)}"


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(named("ENGAGE_LIMIT_LOGIN"), key_func=by_ip, methods=["POST"])
# Per account, only failed attempts count: a moderator signing in again and again (or others
# from the newsroom's one IP) never locks the account; guessing does.
@limiter.limit(named("ENGAGE_LIMIT_LOGIN"), key_func=by_login_email, methods=["POST"],
               deduct_when=lambda response: response.status_code != 302)
def login() -> str | Response:
    """Show the sign-in form; sign a moderator in with their email and password."""
    form = LoginForm()
    if form.validate_on_submit():
        moderator = accounts.authenticate(form.email.data or "", form.password.data or "")
        if moderator is not None:
            # A fresh session: nothing set before signing in (a planted id) survives it.
            session.clear()
            login_user(SignedIn(moderator))
            return redirect(local_target(form.next.data) or url_for("moderation.index"))
        form.password.errors.append(_("Wrong email or password, or the account is disabled."))
    elif request.method == "GET":
        form.next.data = local_target(request.args.get("next")) or ""
    return render_template("moderation/login.html", form=form)


@bp.post("/logout")
def logout() -> Response:
    """Sign the moderator out everywhere (a POST, which CSRFProtect checks, so no link can
    do it): the session version moves on, so a copy of the cookie is worth nothing."""
    accounts.end_sessions(current_moderator())
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("You are signed out."), "success")
    return redirect(url_for("moderation.login"))


@bp.post("/language")
def set_language() -> Response:
    """Save the language of the moderator's pages."""
    form = LanguageForm()
    back = local_target(form.back.data) or url_for("moderation.index")
    if not form.validate_on_submit():
        flash(_("Choose French or English."), "error")
        return redirect(back)
    accounts.set_locale(current_moderator(), form.locale.data)
    db.session.commit()
    refresh()  # so that the message below is already in the new language
    flash(_("Language saved."), "success")
    return redirect(back)
