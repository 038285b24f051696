"""How a refused LTI launch is worded: what the platform sent, and the setting to fix."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.error import HTTPError, URLError

import jwt

from course.db import utcnow
from course.lti.jwks import REFETCH_COOLDOWN_SECONDS, UnknownKey
from course.models import LtiPlatform

#: Where an administrator fixes a registration; named by the errors a setting causes.
ADMIN_PAGE = "Administration, LMS connections"
#: A launch for an account an admin here deactivated. Said so that the LMS's coordinator,
#: who gets these words, knows the fix is not theirs.
DEACTIVATED = (
    "The account this learning-system user opens here was deactivated by the administrators "
    "of this site, so the course does not open for it. Nothing in the LMS needs changing: if "
    "it was a mistake, they reactivate it under Administration, Learners (\u201cReactivate "
    "account\u201d).")


def shown(value: Any) -> str:
    """A value a platform sent, quoted and cut short, for an error message."""
    return repr(str(value)[:200])


#: Times for comparing two clocks: UTC, to the second, with the date.
CLOCK_FORMAT = "%Y-%m-%d %H:%M:%S UTC"


def _clocks(claims: dict[str, Any]) -> str:
    """The token's times beside this server's, so whoever fixes a clock sees which one."""
    def stamp(value: Any) -> str | None:
        if not isinstance(value, int | float) or isinstance(value, bool):
            return None
        try:
            moment = datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):
            return None
        return moment.strftime(CLOCK_FORMAT)

    now = utcnow().strftime(CLOCK_FORMAT)
    times = [f"{label} {when}" for label, key in (("issued", "iat"), ("valid until", "exp"))
             if (when := stamp(claims.get(key)))]
    token = f"the token says {' and '.join(times)}; " if times else ""
    return f" ({token}this server's clock read {now})"


def _fetch_failure(cause: BaseException | None) -> str:
    """Why the keyset could not be read: a wrong address (an HTTP error) reads apart from
    a server that is down or unreachable."""
    if isinstance(cause, HTTPError):
        return f"it answered HTTP {cause.code} {cause.reason}"
    reason = cause.reason if isinstance(cause, URLError) else cause
    if isinstance(reason, ConnectionRefusedError):
        return "nothing answered there: the connection was refused"
    if isinstance(reason, TimeoutError):
        return "it did not answer in time"
    return f"{reason}" if reason is not None else "no answer"


def token_problem(exc: jwt.PyJWTError, id_token: str, platform: LtiPlatform) -> str:
    """Say what is wrong with a launch token, naming the setting that would fix it."""
    where = f"registered for \u201c{platform.name}\u201d"
    try:
        unchecked = jwt.decode(id_token, options={"verify_signature": False})
    except jwt.PyJWTError:
        unchecked = {}
    if isinstance(exc, jwt.ExpiredSignatureError):
        return ("The launch token has expired: open the course again from the platform. If "
                "this keeps happening, this server's clock or the platform's is wrong"
                f"{_clocks(unchecked)}.")
    if isinstance(exc, jwt.ImmatureSignatureError):
        return ("The launch token is dated in the future: this server's clock or the "
                f"platform's is wrong by more than a minute{_clocks(unchecked)}.")
    if isinstance(exc, jwt.MissingRequiredClaimError) and exc.claim == "sub":
        # LTI 1.3 allows anonymous launches; "requires" would send someone after a bug.
        return ("The launch token names no user (no sub claim): the platform launched "
                "anonymously, and this course keeps a continuing-education record for each "
                "learner, so it cannot open without knowing who. In the platform, turn off "
                "anonymous launches for this tool (share at least the user's id).")
    if isinstance(exc, jwt.MissingRequiredClaimError):
        return f"The launch token has no {exc.claim} claim, which LTI 1.3 requires."
    if isinstance(exc, jwt.InvalidAudienceError):
        return (f"The launch token is for the client ID {shown(unchecked.get('aud'))} "
                f"(audience), not {shown(platform.client_id)}, the Client ID {where}: "
                f"correct it under {ADMIN_PAGE}.")
    if isinstance(exc, jwt.InvalidIssuerError):
        return (f"The launch token's issuer is {shown(unchecked.get('iss'))}, not "
                f"{shown(platform.issuer)}, the Issuer (iss) {where}: correct it under "
                f"{ADMIN_PAGE}.")
    if isinstance(exc, jwt.PyJWKClientConnectionError):
        return (f"The platform's keys could not be fetched from {platform.jwks_url} "
                f"({_fetch_failure(exc.__cause__)}), the Public keyset URL {where}: check it "
                f"under {ADMIN_PAGE}.")
    if isinstance(exc, UnknownKey):
        # A platform that has just rotated its key needs nothing changed here: say so
        # before pointing at the setting, or a right URL gets "corrected".
        return (f"The launch token was signed with the key {shown(exc.kid)}, which the keyset "
                f"at {platform.jwks_url}, the Public keyset URL (JWKS) {where}, does not hold. "
                "If the platform has just changed its keys, open the course again in a minute: "
                f"the keyset is read again at most every {REFETCH_COOLDOWN_SECONDS} seconds. "
                "If it keeps happening, that address is not this platform's keyset: correct it "
                f"under {ADMIN_PAGE}.")
    if isinstance(exc, jwt.PyJWKClientError | jwt.InvalidSignatureError):
        return (f"The launch token is not valid: it was not signed by a key at "
                f"{platform.jwks_url}, the Public keyset URL (JWKS) {where} ({exc}): correct "
                f"it under {ADMIN_PAGE}.")
    return f"The launch token is not valid: {exc}."


#: Told an administrator who revokes a certificate whose grade an LMS still shows.
LMS_GRADE_KEPT = (
    "\u201c{platform}\u201d still shows this completion's grade, and this site cannot clear "
    "it: the learner deleted their account here or unlinked it from that LMS, and the LMS's "
    "ID for them, which a change of grade needs, went with it. Ask the LMS's administrator "
    "to clear the grade by hand for the learner named on this certificate, in the course's "
    "grade column (line item {lineitem}).")
