"""Single sign-on tokens (engage/services/sso.py): what a site signs is trusted, and nothing
else: forged, expired, too long-lived, wrong-algorithm, other sites' and rotated-out tokens
are refused with a clear 401 bad_token; and `engage site sso`."""

from __future__ import annotations

import base64
import datetime as dt
import json
import time

import jwt
import pytest

from engage.errors import BadSignIn
from engage.extensions import db
from engage.models import Site
from engage.services import sso
from tests.factories import make_site


@pytest.fixture
def site(app):
    site = make_site("lejourpile")
    db.session.commit()
    return site


def token_for(secret, *, algorithm="HS256", lifetime=3600, issued=None, **claims):
    now = int(time.time()) if issued is None else issued
    payload = {"sub": "wp-42", "name": "Awa Diallo", "iat": now, "exp": now + lifetime, **claims}
    return jwt.encode({k: v for k, v in payload.items() if v is not None}, secret,
                      algorithm=algorithm)


def refused(site, token) -> str:
    with pytest.raises(BadSignIn) as error:
        sso.verify(site, token)
    assert error.value.status == 401 and error.value.code == "bad_token"
    return str(error.value)


def test_a_token_the_site_signed_signs_its_reader_in(site):
    secret = sso.rotate_secret(site)

    account = sso.verify(site, token_for(secret, email="awa@example.org", badge="Abonnée"))

    assert (account.name, account.email, account.badge) == ("Awa Diallo", "awa@example.org",
                                                            "Abonnée")
    assert "wp-42" not in account.key and len(account.key) == 64
    # The same user, another token: the same account; another user: another one.
    assert sso.verify(site, token_for(secret, lifetime=60)).key == account.key
    assert sso.verify(site, token_for(secret, sub="wp-43")).key != account.key


def test_the_same_user_id_on_two_sites_is_two_accounts(site):
    other = make_site("autresite")
    db.session.commit()
    here = sso.verify(site, token_for(sso.rotate_secret(site)))
    there = sso.verify(other, token_for(sso.rotate_secret(other)))

    assert here.key != there.key


def test_a_site_without_sso_trusts_no_token(site):
    token = token_for("a secret this site never made, long enough")
    assert "does not use single sign-on" in refused(site, token)


def test_forged_tokens_are_refused(site):
    secret = sso.rotate_secret(site)
    good = token_for(secret)
    header, payload, signature = good.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["sub"] = "admin"
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()

    assert "not signed by this site" in refused(site, f"{header}.{forged_payload}.{signature}")
    stranger = token_for("sso_another-secret-of-the-same-length-xxxxxxxx")
    assert "not signed by this site" in refused(site, stranger)
    for junk in ("", "abc", "a.b.c", "x" * 5000, good + "x"):
        refused(site, junk)


def test_another_sites_token_is_refused(site):
    other = make_site("autresite")
    db.session.commit()
    sso.rotate_secret(site)

    assert "not signed by this site" in refused(site, token_for(sso.rotate_secret(other)))


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")  # HS512's 64 B
def test_none_and_other_algorithms_are_refused(site):
    secret = sso.rotate_secret(site)
    unsigned = jwt.encode({"sub": "wp-42", "name": "Awa", "iat": int(time.time()),
                           "exp": int(time.time()) + 60}, None, algorithm="none")

    assert "not valid" in refused(site, unsigned)
    assert "not valid" in refused(site, token_for(secret, algorithm="HS512"))
    assert "not valid" in refused(site, token_for(secret, algorithm="HS384"))


def test_expired_future_and_too_long_lived_tokens_are_refused(site):
    secret = sso.rotate_secret(site)
    now = int(time.time())

    assert "expired" in refused(site, token_for(secret, issued=now - 7200, lifetime=3600))
    assert "future" in refused(site, token_for(secret, issued=now + 3600))
    assert "24 hours" in refused(site, token_for(secret, lifetime=25 * 3600))
    # A minute of clock difference is allowed either way.
    assert sso.verify(site, token_for(secret, issued=now - 3630, lifetime=3600))
    assert sso.verify(site, token_for(secret, issued=now + 30))


@pytest.mark.parametrize("claims, what", [
    ({"sub": None}, "sub"),
    ({"name": None}, "name"),
    ({"iat": None}, "iat"),
    ({"name": "   "}, "name"),
    ({"name": "x" * 65}, "name"),
    ({"name": 42}, "name"),
    ({"badge": "b" * 41}, "badge"),
    ({"badge": ["Abonné"]}, "badge"),
    ({"email": "pas une adresse"}, "email"),
    ({"email": "Awa <awa@example.org>"}, "email"),
])
def test_claims_of_the_wrong_shape_are_refused(site, claims, what):
    secret = sso.rotate_secret(site)
    if claims.get("iat", 0) is None:
        token = jwt.encode({"sub": "wp-42", "name": "Awa", "exp": int(time.time()) + 60},
                           secret, algorithm="HS256")
    else:
        token = token_for(secret, **claims)

    assert what in refused(site, token)


def test_after_a_rotation_the_old_secret_is_trusted_for_a_day_only(site):
    old = sso.rotate_secret(site)
    old_token = token_for(old)
    new = sso.rotate_secret(site)

    assert sso.verify(site, old_token).name == "Awa Diallo"
    assert sso.verify(site, token_for(new)).name == "Awa Diallo"

    site.sso_rotated_at -= dt.timedelta(hours=24, seconds=1)
    assert "not signed by this site" in refused(site, old_token)
    assert sso.verify(site, token_for(new))

    # Two rotations: the secret before the previous one is never trusted again.
    site.sso_rotated_at = None
    newest = sso.rotate_secret(site)
    sso.rotate_secret(site)
    assert "not signed by this site" in refused(site, token_for(new))
    assert sso.verify(site, token_for(newest))


def test_cli_rotate_prints_the_secret_last_and_off_stops_it(runner, site):
    shown = runner.invoke(args=["site", "sso", "lejourpile"])
    assert shown.exit_code == 0 and "off" in shown.output

    rotated = runner.invoke(args=["site", "sso", "lejourpile", "--rotate"])

    assert rotated.exit_code == 0, rotated.output
    secret = rotated.output.strip().splitlines()[-1]
    db.session.expire_all()
    stored = db.session.get(Site, site.id)
    assert secret == stored.sso_secret and secret.startswith("sso_") and len(secret) > 40
    assert sso.verify(stored, token_for(secret)).name == "Awa Diallo"
    status = runner.invoke(args=["site", "sso", "lejourpile"])
    assert "on for lejourpile" in status.output and secret not in status.output

    off = runner.invoke(args=["site", "sso", "lejourpile", "--off"])

    assert off.exit_code == 0
    db.session.expire_all()
    assert "does not use" in refused(db.session.get(Site, site.id), token_for(secret))


@pytest.mark.parametrize("args, message", [
    (["site", "sso", "nowhere", "--rotate"], "No site"),
    (["site", "sso", "lejourpile", "--rotate", "--off"], "not both"),
])
def test_cli_sso_mistakes_fail_with_a_message(runner, site, args, message):
    result = runner.invoke(args=args)

    assert result.exit_code != 0 and message in result.output
