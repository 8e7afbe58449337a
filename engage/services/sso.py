"""Single sign-on: the site's own login vouches for its readers, engage keeps no accounts.

The site signs a short-lived JWT (HS256) under its SSO secret with the reader's `sub` (its
own user id), `name`, optional `email` and `badge` ("Abonné"), `iat` and `exp`; the widget
sends it as X-Engage-SSO. engage stores no `sub` in clear: an account is the keyed hash of
the site and the `sub`. A rotation keeps the previous secret trusted for GRACE, the longest
a token it signed may live, so that no signed-in reader is thrown out mid-sentence.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets

import jwt

from ..errors import BadSignIn
from ..identity import EMAIL_ADDRESS, keyed_hash
from ..models import Site, utcnow

MAX_LIFETIME = dt.timedelta(hours=24)  # from iat to exp
GRACE = MAX_LIFETIME  # how long the secret before a rotation is still trusted
LEEWAY = 60  # seconds of clock difference allowed between the site's servers and engage
MAX_TOKEN = 4096  # characters: a header, five claims and a signature need far fewer
MAX_NAME, MAX_BADGE, MAX_SUB = 64, 40, 255


@dataclasses.dataclass(frozen=True)
class Account:
    """A reader signed in by the site, as the token says."""

    key: str  # keyed hash of the site and the token's sub: what engage stores and bans
    name: str
    email: str | None
    badge: str | None


def rotate_secret(site: Site) -> str:
    """Give the site a new SSO secret (the old one stays trusted for GRACE); return it."""
    site.sso_previous_secret = site.sso_secret
    site.sso_secret = f"sso_{secrets.token_urlsafe(32)}"
    site.sso_rotated_at = utcnow()
    return site.sso_secret


def turn_off(site: Site) -> None:
    """Stop trusting any token the site signed."""
    site.sso_secret = site.sso_previous_secret = site.sso_rotated_at = None


def trusted_secrets(site: Site) -> list[str]:
    """The secrets a token of the site may be signed with now: the current, then the
    previous one during its grace period."""
    keys = [site.sso_secret] if site.sso_secret else []
    rotated = site.sso_rotated_at
    if site.sso_previous_secret and rotated is not None and utcnow() - rotated < GRACE:
        keys.append(site.sso_previous_secret)
    return keys


def _claims(site: Site, token: str) -> dict[str, object]:
    keys = trusted_secrets(site)
    if not keys:
        raise BadSignIn("This site does not use single sign-on (engage site sso KEY --rotate).")
    if len(token) > MAX_TOKEN:
        raise BadSignIn("The sign-in token is too long.")
    for secret in keys:
        try:
            # The algorithm is pinned: "none", RS256 with the secret as a public key and every
            # other header choice are refused before any signature is looked at.
            return dict(jwt.decode(token, secret, algorithms=["HS256"], leeway=LEEWAY,
                                   options={"require": ["sub", "name", "iat", "exp"]}))
        except jwt.InvalidSignatureError:
            continue  # perhaps signed with the previous secret
        except jwt.ExpiredSignatureError:
            raise BadSignIn("The sign-in token has expired: the site must sign a new "
                            "one.") from None
        except jwt.ImmatureSignatureError:
            raise BadSignIn("The sign-in token was issued in the future (check the site's "
                            "clock).") from None
        except jwt.PyJWTError as exc:
            raise BadSignIn(f"The sign-in token is not valid: {exc}.") from None
    raise BadSignIn("The sign-in token is not signed by this site's secret.")


def _text(claims: dict[str, object], name: str, limit: int, *, required: bool) -> str | None:
    value = claims.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > limit:
        raise BadSignIn(f"The sign-in token's {name!r} must be text of 1 to {limit} characters.")
    return value.strip()


def verify(site: Site, token: str) -> Account:
    """Return the reader a token of the site signs in; bad_token (401) for any fault."""
    claims = _claims(site, token.strip())
    issued, expires = claims["iat"], claims["exp"]
    if not isinstance(issued, int | float) or not isinstance(expires, int | float) or (
            expires - issued > MAX_LIFETIME.total_seconds()):
        raise BadSignIn("A sign-in token may live at most 24 hours (exp - iat).")
    sub = _text(claims, "sub", MAX_SUB, required=True)
    name = _text(claims, "name", MAX_NAME, required=True)
    email = _text(claims, "email", 254, required=False)
    if email is not None and not EMAIL_ADDRESS.fullmatch(email):
        raise BadSignIn("The sign-in token's 'email' is not an e-mail address.")
    assert sub is not None and name is not None
    return Account(key=account_key(site, sub), name=name, email=email,
                   badge=_text(claims, "badge", MAX_BADGE, required=False))


def account_key(site: Site, user_id: str) -> str:
    """The account the site's user id is on engage: a keyed hash, never the id itself."""
    return keyed_hash("account", f"{site.key}\0{user_id.strip()}")
