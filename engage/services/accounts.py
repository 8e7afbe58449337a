"""Moderator accounts: roles, site scopes, password hashing and API tokens stored hashed."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from functools import cache

from sqlalchemy import select, update
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from ..errors import NotFound, Unauthorized, ValidationError
from ..extensions import db
from ..models import ApiToken, Moderator, ModeratorRole, Site, utcnow

MIN_PASSWORD_LENGTH = 10
LOCALES = ("fr", "en")  # the languages of the moderation pages
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def hash_token(token: str) -> str:
    # API tokens are 256 random bits: a fast hash is enough, and lets us look them up by hash.
    return hashlib.sha256(token.encode()).hexdigest()


def find_moderator(email: str) -> Moderator:
    """Return the moderator with this email; not_found otherwise."""
    moderator = db.session.scalar(select(Moderator).where(Moderator.email == email.strip().lower()))
    if moderator is None:
        raise NotFound(f"No moderator has the email {email}.")
    return moderator


def add_moderator(
    email: str, password: str, role: ModeratorRole, site_keys: Iterable[str] = ()
) -> Moderator:
    """Create a moderator; validation_error on a bad email, weak password or unknown site."""
    email = email.strip().lower()
    errors: dict[str, str] = {}
    if not _EMAIL.fullmatch(email) or len(email) > 254:
        errors["email"] = "not an email address"
    elif db.session.scalar(select(Moderator.id).where(Moderator.email == email)) is not None:
        errors["email"] = "a moderator with this email exists already"
    if len(password) < MIN_PASSWORD_LENGTH:
        errors["password"] = f"at least {MIN_PASSWORD_LENGTH} characters"
    keys = list(dict.fromkeys(site_keys))
    sites = list(db.session.scalars(select(Site).where(Site.key.in_(keys)))) if keys else []
    missing = set(keys) - {s.key for s in sites}
    if missing:
        errors["site"] = f"unknown site(s): {', '.join(sorted(missing))}"
    if errors:
        raise ValidationError("The moderator cannot be created.", fields=errors)
    # werkzeug's default is scrypt, a memory-hard KDF.
    moderator = Moderator(email=email, password_hash=generate_password_hash(password), role=role)
    moderator.sites = sites
    db.session.add(moderator)
    db.session.flush()
    return moderator


def check_password(moderator: Moderator, password: str) -> bool:
    """Tell whether the password is this moderator's."""
    return check_password_hash(moderator.password_hash, password)


@cache
def _decoy_hash() -> str:
    return generate_password_hash(secrets.token_urlsafe(16))


def authenticate(email: str, password: str) -> Moderator | None:
    """Return the active moderator with this email and password, or None.

    An unknown email costs a password check too, so the answer's timing does not tell
    which emails are moderators'.
    """
    moderator = db.session.scalar(select(Moderator).where(Moderator.email == email.strip().lower()))
    if moderator is None:
        check_password_hash(_decoy_hash(), password)
        return None
    if not check_password(moderator, password) or not moderator.is_active:
        return None
    return moderator


def moderator_by_id(moderator_id: int) -> Moderator | None:
    """Return the moderator with this id, or None."""
    return db.session.get(Moderator, moderator_id)


def set_password(moderator: Moderator, password: str) -> None:
    """Replace a moderator's password; validation_error when it is too short."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError("The password is too short.",
                              fields={"password": f"at least {MIN_PASSWORD_LENGTH} characters"})
    moderator.password_hash = generate_password_hash(password)
    end_sessions(moderator)


def end_sessions(moderator: Moderator) -> None:
    """End every page session of the moderator, on every device, now."""
    moderator.session_version = (moderator.session_version or 0) + 1
    db.session.flush()


def set_active(moderator: Moderator, active: bool) -> None:
    """Disable (or enable again) an account: a disabled one can sign in nowhere, its
    sessions end and its API tokens stop working (they are checked against the account)."""
    moderator.is_active = active
    end_sessions(moderator)


def set_shortcuts(moderator: Moderator, enabled: bool) -> None:
    """Turn the queue's one-key shortcuts on or off for this moderator (WCAG 2.1.4)."""
    moderator.shortcuts = enabled
    db.session.flush()


def all_moderators() -> list[Moderator]:
    """Every account, by e-mail."""
    return list(db.session.scalars(select(Moderator).order_by(Moderator.email)))


def set_locale(moderator: Moderator, locale: str | None) -> None:
    """Set the language of a moderator's pages (None: the browser's); validation_error."""
    if locale is not None and locale not in LOCALES:
        raise ValidationError("Unknown language.", fields={"locale": " or ".join(LOCALES)})
    moderator.locale = locale
    db.session.flush()


def new_api_token(moderator: Moderator) -> str:
    """Create an API token for the moderator and return it; only its hash is kept."""
    token = secrets.token_urlsafe(32)
    db.session.add(ApiToken(moderator_id=moderator.id, token_hash=hash_token(token)))
    db.session.flush()
    return token


def moderator_for_token(token: str | None) -> Moderator:
    """Return the active moderator holding this API token; unauthorized otherwise."""
    if not token:
        raise Unauthorized()
    api_token = db.session.scalar(
        select(ApiToken)
        .where(ApiToken.token_hash == hash_token(token), ApiToken.revoked_at.is_(None))
        .options(joinedload(ApiToken.moderator))
    )
    if api_token is None or not api_token.moderator.is_active:
        raise Unauthorized()
    api_token.last_used_at = utcnow()
    return api_token.moderator


def revoke_tokens(moderator: Moderator) -> int:
    """Revoke every API token of a moderator, and end their page sessions too (a leaked
    credential is rarely only one); return how many tokens were live."""
    result = db.session.execute(
        update(ApiToken)
        .where(ApiToken.moderator_id == moderator.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    end_sessions(moderator)
    return int(result.rowcount)  # type: ignore[attr-defined]
