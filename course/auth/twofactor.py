"""A second factor for staff: codes from an authenticator app (TOTP, RFC 6238) and
one-time recovery codes.

The app's secret is stored encrypted (Fernet, under a key derived from ``SECRET_KEY``
for this purpose alone); recovery codes only as argon2id hashes, like passwords, each
behind a short tag (16 bits of an HMAC under another such key) that finds it
(``course.auth.factorkeys``). A code
is accepted for the current 30-second step or one either side (clock drift), never for
a step at or before the last one accepted, so a code seen over a shoulder or replayed
from a log does not work again. Wrong codes are counted per account
(``course.auth.throttle``): after a few, each try waits longer, up to 15 minutes.

Recovery codes have 50 bits, under the 112 that ASVS 6.5.2 asks of a secret kept with
a fast hash. Checking every stored hash made a wrong try cost ten argon2 hashes; the tag
leaves a wrong one about 1 in 6,500 chances of costing one, and a right one costs one.
Codes stored untagged before, or tagged under a key since dropped, still work until
used or replaced (each check of such an account costs what it did).
``make_recovery_codes`` and ``check_recovery_code`` are slow and write nothing: call
them before the write transaction.
"""

from __future__ import annotations

import json
import logging
import math
import secrets
from dataclasses import dataclass
from datetime import datetime

import pyotp
import segno
from cryptography.fernet import InvalidToken
from markupsafe import Markup
from sqlalchemy import delete, select, update

from course import secretkeys
from course.audit import record_event
from course.auth import factorkeys, throttle
from course.auth.passwords import hash_password, verify_password
from course.auth.signin import AuthError, PasswordCheck, confirm_password
from course.auth.throttle import Scope
from course.db import utcnow
from course.extensions import db
from course.mail import tell_account_holder
from course.models import RecoveryCode, Role, SecondFactor, User

logger = logging.getLogger(__name__)

#: Steps either side of now whose code is still accepted (a phone's clock a little off).
DRIFT_STEPS = 1
RECOVERY_CODE_COUNT = 10
#: Crockford's base32 in lower case: no i, l, o or u to mistake for 1, 1, 0 or v.
_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
_RECOVERY_LENGTH = 10  # 50 bits each
#: How long the setup page's secret stays usable before the page must be opened again.
ENROLLMENT_SECONDS = 30 * 60
_ENROLLMENT_PURPOSE = b"second-factor enrollment"

WRONG_CODE = "That code did not work. Enter the 6-digit code your app shows now."
WRONG_RECOVERY_CODE = "That recovery code did not work. Check it, or use another of your codes."
UNREADABLE = ("Your authenticator app's setup can no longer be read here. Ask a site "
              "administrator to turn two-step verification off for your account; then set "
              "it up again.")
MANAGE_PATH = "/auth/two-factor"


def offered_to(user: User) -> bool:
    """Whether the account may set up a second factor: admins and authors."""
    return user.has_role(Role.AUTHOR) and user.signs_in_with_password


def factor_of(user: User) -> SecondFactor | None:
    """Return the account's authenticator app, if one is set up."""
    return db.session.get(SecondFactor, user.id)


def recovery_codes_left(user: User) -> int:
    """Return how many recovery codes the account has not used."""
    return len(_unused_codes(user))


# --- setting it up -----------------------------------------------------------------------


@dataclass(frozen=True)
class Enrollment:
    """A secret offered on the setup page, not stored until a code from it is confirmed.

    ``token`` carries it in the page's form, encrypted and tied to the account.
    """

    secret: str
    token: str
    uri: str

    @property
    def grouped_secret(self) -> str:
        """The secret in groups of four, easier to type by hand."""
        return " ".join(self.secret[i:i + 4] for i in range(0, len(self.secret), 4))

    def qr_svg(self) -> Markup:
        """The secret's address as an inline SVG QR code, for the app's camera."""
        qr = segno.make(self.uri, error="m")
        svg = qr.svg_inline(scale=4, border=4, dark="#000", light="#fff",
                            title="QR code holding the setup key shown below it")  # fmt: skip
        return Markup(svg)  # segno's own markup; the address it holds is escaped by it


def start_enrollment(user: User, issuer: str) -> Enrollment:
    """Make a new secret for the setup page (nothing is stored yet)."""
    secret = pyotp.random_base32()
    token = secretkeys.fernet(_ENROLLMENT_PURPOSE).encrypt(
        json.dumps({"user": user.id, "secret": secret}).encode()).decode()
    return _enrollment(user, secret, token, issuer)


def read_enrollment(user: User, token: str, issuer: str) -> Enrollment:
    """Return the secret a setup page carried; refuse one too old or not this account's.

    :raise AuthError: when the page must be opened again.
    """
    try:
        raw = secretkeys.fernet(_ENROLLMENT_PURPOSE).decrypt(
            token.encode(), ttl=ENROLLMENT_SECONDS)
        carried = json.loads(raw)
    except (InvalidToken, ValueError):
        carried = {}
    if carried.get("user") != user.id or not isinstance(carried.get("secret"), str):
        raise AuthError("This setup page was open too long. Scan the new QR code below, "
                        "or type its new key, and enter a code from it.")
    return _enrollment(user, carried["secret"], token, issuer)


def _enrollment(user: User, secret: str, token: str, issuer: str) -> Enrollment:
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=issuer)
    return Enrollment(secret, token, uri)


@dataclass(frozen=True)
class NewRecoveryCodes:
    """Recovery codes as the person is shown them once, and as they are stored."""

    codes: tuple[str, ...]
    hashes: tuple[str, ...]


def make_recovery_codes(user: User) -> NewRecoveryCodes:
    """Draw and hash a new set of recovery codes (slow: call before the write)."""
    codes = tuple(
        "".join(secrets.choice(_ALPHABET) for _ in range(_RECOVERY_LENGTH))
        for _ in range(RECOVERY_CODE_COUNT)
    )
    shown = tuple(f"{code[:5]}-{code[5:]}" for code in codes)
    return NewRecoveryCodes(shown, tuple(factorkeys.current_tag(user.id, code) + hash_password(code)
                                         for code in codes))


def enable(user: User, enrollment: Enrollment, code: str, new_codes: NewRecoveryCodes,
           *, ip_address: str | None = None) -> None:
    """Turn the second factor on once a code from the new secret proves the app has it.

    :raise AuthError: when the account has one already, or the code is wrong.
    """
    if factor_of(user) is not None:
        raise AuthError("Your account has an authenticator app set up already.")
    step = _matching_step(enrollment.secret, code, after=0)
    if step is None:
        raise AuthError(WRONG_CODE, "code")
    db.session.add(SecondFactor(user_id=user.id, secret=factorkeys.encrypt(enrollment.secret),
                                last_step=step, enabled_at=utcnow()))  # fmt: skip
    _store_codes(user, new_codes)
    record_event(user, "auth.second_factor_enabled", "user", user.id,
                 {"email": user.email}, ip_address)  # fmt: skip
    db.session.flush()


# --- checking a code ---------------------------------------------------------------------


@dataclass(frozen=True)
class RecoveryCheck:
    """A recovery code's slow half: which unused code it matched, if any."""

    code_id: int | None = None
    refusal: str | None = None


def waiting(user: User) -> str | None:
    """The "please wait" message when the account's wrong codes hold it up, else None."""
    wait = throttle.waits([_key(user)], utcnow())[Scope.SECOND_FACTOR]
    if not wait:
        return None
    minutes = math.ceil(wait / 60)
    span = (f"{wait} second" + ("" if wait == 1 else "s") if wait < 60
            else f"{minutes} minute" + ("" if minutes == 1 else "s"))
    return (f"Several codes that did not work were entered for this account. To keep it "
            f"safe, please wait {span} and try again.")


def verify_code(user: User, code: str, *, ip_address: str | None = None,
                field: str = "code") -> None:
    """Accept a code from the account's app once, or count a failure and refuse.

    The caller commits on refusal too (``write_transaction(commit_on=AuthError)``).

    :raise AuthError: for a wrong or used code, or while wrong codes hold the account up.
    """
    refusal = waiting(user)
    if refusal:
        raise AuthError(refusal, field)
    factor = db.session.get(SecondFactor, user.id, with_for_update=True)
    if factor is None:
        raise AuthError("Your account has no authenticator app set up.", field)
    try:
        secret = factorkeys.decrypt(factor)
    except InvalidToken:
        # Stored under a secret key no longer configured (not even as a fallback).
        logger.error("The second factor of account %s cannot be decrypted", user.id)
        raise AuthError(UNREADABLE, field) from None
    step = _matching_step(secret, code, after=factor.last_step)
    if step is None:
        _count_failure(user, ip_address)
        raise AuthError(WRONG_CODE, field)
    factor.last_step = step
    throttle.clear([_key(user)])
    db.session.flush()


def check_recovery_code(user: User, code: str) -> RecoveryCheck:
    """Find the unused recovery code this is, writing nothing (argon2: before the write)."""
    refusal = waiting(user)
    if refusal:
        return RecoveryCheck(refusal=refusal)
    typed = _normalise_recovery(code)
    if len(typed) != _RECOVERY_LENGTH:
        return RecoveryCheck()
    tags = factorkeys.tags(user.id, typed)  # one per secret key: the current one and any fallback
    for row in _unused_codes(user):
        tag, _, stored = row.code_hash.rpartition("$argon2")
        if factorkeys.may_be(tag, tags) and verify_password(f"$argon2{stored}", typed):
            return RecoveryCheck(row.id)
    return RecoveryCheck()


def use_recovery_code(user: User, check: RecoveryCheck, *, ip_address: str | None = None
                      ) -> int:
    """Spend a matched recovery code (once, even if two requests race); return how many
    are left. The account holder is emailed, in case it was not them.

    :raise AuthError: for a wrong or spent code, or while wrong codes hold the account up.
    """
    if check.refusal:
        raise AuthError(check.refusal, "code")
    spent = None
    if check.code_id is not None:
        spent = db.session.execute(
            update(RecoveryCode)
            .where(RecoveryCode.id == check.code_id, RecoveryCode.user_id == user.id,
                   RecoveryCode.used_at.is_(None))
            .values(used_at=utcnow()),
            execution_options={"synchronize_session": False},
        ).rowcount
    if not spent:
        _count_failure(user, ip_address)
        raise AuthError(WRONG_RECOVERY_CODE, "code")
    throttle.clear([_key(user)])
    left = recovery_codes_left(user)
    record_event(user, "auth.recovery_code_used", "user", user.id,
                 {"email": user.email, "codes_left": left}, ip_address)  # fmt: skip
    tell_account_holder(
        user, "A recovery code was used to sign in",
        "A recovery code was just used to sign in to your account, in place of a code from "
        f"your authenticator app. You have {left} recovery codes left. If this was not you, "
        "change your password now and tell your site administrator.",
        MANAGE_PATH, "Your two-step verification settings: ",
    )
    return left


# --- changing it -------------------------------------------------------------------------


def confirm_it_is_you(user: User, code: str | None, password: PasswordCheck | None,
                      *, ip_address: str | None = None) -> str:
    """Accept a current code or the password before a change; return which it was.

    :raise AuthError: when neither is given, or the one given is wrong.
    """
    if code:
        verify_code(user, code, ip_address=ip_address)
        return "code"
    if password is not None:
        confirm_password(password, ip_address=ip_address, field="password")
        return "password"
    raise AuthError("Enter a code from your app, or your password.", "code")


def replace_recovery_codes(user: User, new_codes: NewRecoveryCodes, proof: str,
                           *, ip_address: str | None = None) -> None:
    """Replace every recovery code with a new set (the old ones stop working)."""
    _store_codes(user, new_codes)
    record_event(user, "auth.recovery_codes_replaced", "user", user.id,
                 {"email": user.email, "confirmed_with": proof}, ip_address)  # fmt: skip
    db.session.flush()


def disable(user: User, *, actor: User | None, reason: str = "",
            ip_address: str | None = None, proof: str | None = None) -> None:
    """Turn the second factor off, the account holder's own way or by an admin (``actor``
    None: from the command line); the holder is emailed either way.

    :raise AuthError: when the account has none.
    """
    if factor_of(user) is None:
        raise AuthError("This account has no authenticator app set up.")
    remove_factor(user)
    by_admin = actor is None or actor.id != user.id
    detail = {"email": user.email, **({"reason": reason.strip()} if by_admin else {}),
              **({"confirmed_with": proof} if proof else {})}
    action = "auth.second_factor_cleared" if by_admin else "auth.second_factor_disabled"
    record_event(actor, action, "user", user.id, detail, ip_address)
    who = "A site administrator" if by_admin else "You"
    tell_account_holder(
        user, "Two-step verification is off for your account",
        f"{who} turned off two-step verification for your account: signing in now needs "
        "only your password. If you did not expect this, change your password now and tell "
        "your site administrator. You can set up an authenticator app again at any time.",
        MANAGE_PATH, "Set it up again: ",
    )
    db.session.flush()


def remove_factor(user: User) -> None:
    """Delete the account's secret and recovery codes (no audit: callers record why)."""
    db.session.execute(delete(SecondFactor).where(SecondFactor.user_id == user.id))
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


# --- shared ------------------------------------------------------------------------------


def _matching_step(secret: str, code: str, *, after: int, now: datetime | None = None
                   ) -> int | None:
    """Return the time step whose code this is, within the drift and after ``after``."""
    typed = "".join((code or "").split())
    if len(typed) != 6 or not typed.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now or utcnow())
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        # Every step is compared, in constant time, so timing tells nothing of which.
        if step > after and secrets.compare_digest(totp.generate_otp(step), typed):
            return step
    return None


def _normalise_recovery(code: str) -> str:
    typed = "".join((code or "").lower().replace("-", "").split())
    return typed.translate(str.maketrans("ilo", "110"))


def _unused_codes(user: User) -> list[RecoveryCode]:
    return list(db.session.scalars(
        select(RecoveryCode).where(RecoveryCode.user_id == user.id,
                                   RecoveryCode.used_at.is_(None)).order_by(RecoveryCode.id)
    ))  # fmt: skip


def _store_codes(user: User, new_codes: NewRecoveryCodes) -> None:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    now = utcnow()
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=digest, created_at=now)
                       for digest in new_codes.hashes)  # fmt: skip


def _key(user: User) -> throttle.Key:
    return throttle.key(Scope.SECOND_FACTOR, str(user.id))


def _count_failure(user: User, ip_address: str | None) -> None:
    count = throttle.record_failure(_key(user), utcnow())
    if count.reached(throttle.FREE_FAILURES[Scope.SECOND_FACTOR]):
        logger.warning("Second-step codes now wait: %s failures from %s", count.failures,
                       ip_address)
        record_event(None, "auth.second_factor_throttled", "user", user.id,
                     {"failures": count.failures}, ip_address)  # fmt: skip
    db.session.flush()
