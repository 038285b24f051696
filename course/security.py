"""Security headers on every response, cookie prefixes honoured, an opt-in proxy fix.

Every response the app sends (pages, redirects, error pages, static files) carries a
Content-Security-Policy without inline scripts or styles, ``nosniff``, a referrer policy,
a minimal permissions policy and a cross-origin opener policy. HSTS is added only to
responses that went out over HTTPS, because a browser ignores it on plain HTTP and a
development server on http://127.0.0.1 must not pin itself to HTTPS.

Behind a reverse proxy that terminates TLS, the app sees plain HTTP unless it trusts the
proxy's ``X-Forwarded-For`` and ``X-Forwarded-Proto`` headers: set ``TRUST_PROXY`` to the
number of proxies in front of the app (usually 1) and Werkzeug's ``ProxyFix`` restores the
client's scheme and address (the proxy must pass the original ``Host`` header on). Leave
it at 0 when the app is reachable directly, or clients could forge those headers (and
with them their address for rate limits). Production links are built with https
(``PREFERRED_URL_SCHEME``), and certificate links use ``BASE_URL`` whatever the request.
"""

from __future__ import annotations

from flask import Flask, Response, request, session
from flask_login import current_user
from werkzeug.exceptions import BadRequest
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from course.config import DEV_SECRET_KEY, SettingError

#: Shorter secret keys are refused in production (32 characters of a random token).
MIN_SECRET_KEY_LENGTH = 32

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)
#: The policy for a page with nothing to click but links (a refused LMS launch): any site
#: may frame it, so a learner whose LMS embeds the course reads why it did not open
#: instead of the browser's bare "refused to connect".
FRAMEABLE_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace(
    "frame-ancestors 'none'", "frame-ancestors *"
)
#: Seconds others may keep the published public keys (DID document, LTI keyset): after a
#: rotation, whatever the new key signs is refused by a holder of an older copy this long.
KEYS_MAX_AGE = 300
#: One year, the ASVS minimum; subdomains included.
STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"
#: Nothing here needs a camera, microphone, location, payments, USB or ad topics.
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), browsing-topics=()"
)

HEADERS: dict[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": PERMISSIONS_POLICY,
    "Cross-Origin-Opener-Policy": "same-origin",
}

_HEADER_ITEMS = tuple((name.lower(), name, value) for name, value in HEADERS.items())

#: Browsers drop a cookie with one of these prefixes unless it is marked Secure.
SECURE_PREFIXES = ("__Host-", "__Secure-")

#: The largest id a database column holds (signed 64-bit, as in PostgreSQL's bigint).
MAX_ID = 2**63 - 1


class IdConverter(IntegerConverter):
    """``<int:...>`` for database ids: a number no column can hold is simply not found."""

    def __init__(self, map, *args, **kwargs) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


class UnstorableInput(BadRequest):
    """A form or query value holds a NUL character, which no database text column accepts."""

    description = (
        "What was sent contains a character that cannot be stored (a NUL byte), so "
        "nothing was saved. Please retype it, or paste it as plain text."
    )


def init_app(app: Flask) -> None:
    """Refuse a weak production secret, trust a proxy if told to, add the headers hook."""
    check_secret_key(app)
    check_rate_limits(app)
    hops = app.config.get("TRUST_PROXY", 0)
    if hops:
        # Only the client's address and scheme: the proxy must pass the Host header on.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    # Before any blueprint adds its rules: <int:...> ids stay within what a column holds.
    app.url_map.converters["int"] = IdConverter
    app.before_request(refuse_unstorable_input)
    # First in the list runs last (Flask calls after-request functions in reverse), so
    # the hook sees the cookies Flask-Login set or cleared in its own after-request step.
    app.after_request_funcs.setdefault(None, []).insert(0, add_security_headers)


def check_secret_key(app: Flask) -> None:
    """Stop a production app from starting with the development key or a short one.

    :raise SettingError: naming SECRET_KEY, so the message says what to fix.
    """
    if app.config.get("ENV_NAME") != "production":
        return
    key = app.config.get("SECRET_KEY") or ""
    if isinstance(key, bytes):
        key = key.decode("latin-1")
    if key == DEV_SECRET_KEY:
        raise SettingError("SECRET_KEY must be set in production (it is the development key)")
    if len(key) < MIN_SECRET_KEY_LENGTH:
        raise SettingError(
            f"SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} characters in production; "
            'make one with: python -c "import secrets; print(secrets.token_urlsafe(48))"'
        )
    fallbacks = app.config.get("SECRET_KEY_FALLBACKS") or ()
    if DEV_SECRET_KEY in fallbacks:
        # Anyone can sign with the development key: as a fallback it would still let them.
        raise SettingError("SECRET_KEY_FALLBACKS must not hold the development key")
    # A retired key still checks every token (an email-change link whose fingerprint is
    # only the address and a counter, say), so a short one is as weak as a short key.
    for retired in fallbacks:
        size = len(retired.decode("latin-1") if isinstance(retired, bytes) else retired)
        if size < MIN_SECRET_KEY_LENGTH:
            raise SettingError(
                f"SECRET_KEY_FALLBACKS must hold only keys of at least {MIN_SECRET_KEY_LENGTH} "
                "characters: a shorter retired key can be guessed, and it still signs for "
                "every account; drop it (everyone it signed for signs in again)")


def check_rate_limits(app: Flask) -> None:
    """Stop the start on a rate limit or a limit store that cannot be read.

    Flask-Limiter logs an unreadable limit at each request and lets it through, so
    LOGIN_RATE_LIMIT=lots would quietly leave sign-in without a limit.

    :raise SettingError: naming every such setting.
    """
    from limits import parse_many
    from limits.storage import SCHEMES

    problems = []
    for name in sorted(k for k in app.config if k.endswith("_RATE_LIMIT")):
        try:
            parse_many(app.config[name])
        except ValueError:
            problems.append(f"{name} must read like '20 per minute; 200 per hour', "
                            f"not {app.config[name]!r}")
    storage = app.config.get("RATELIMIT_STORAGE_URI") or "memory://"
    if storage.split("://", 1)[0] not in SCHEMES:
        problems.append(f"RATELIMIT_STORAGE_URI must start memory:// or redis://, not {storage!r}")
    if problems:
        raise SettingError("; ".join(problems))
    if storage.startswith("memory://") and app.config.get("ENV_NAME") == "production":
        # Each worker keeps its own counts, so an address gets the limit once per worker,
        # and a sign-in's limit resets whenever a worker restarts; only /healthz said so.
        app.logger.warning(
            "RATELIMIT_STORAGE_URI is memory://: each worker process counts on its own, so "
            "an address gets every limit once per worker. Point it at Redis (redis://...) "
            "when running more than one worker or server (docs/deployment.md)."
        )


def refuse_unstorable_input() -> None:
    """Refuse NUL characters in the path, query and form values before any view runs.

    SQLite stores them and PostgreSQL refuses them with an error, so the same input
    would behave differently per database; nobody types one on purpose.

    :raise 400: when a value holds a NUL character.
    """
    if "\x00" in request.path:  # a path segment such as a course slug or certificate code
        raise UnstorableInput()
    sources = [request.args]
    if request.method in {"POST", "PUT", "PATCH"} and request.mimetype in {
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    }:
        sources.append(request.form)
    if any(
        "\x00" in value for source in sources for values in source.listvalues() for value in values
    ):
        raise UnstorableInput()


def add_security_headers(response: Response) -> Response:
    """Add the security headers a view has not set itself (a view may be stricter)."""
    # One pass over the response's headers, not one per header added: every page pays it.
    present = set(response.headers.keys(lower=True))
    missing = [(name, value) for key, name, value in _HEADER_ITEMS if key not in present]
    if request.is_secure and "strict-transport-security" not in present:
        missing.append(("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY))
    if "cache-control" not in present and request.endpoint != "static" and _signed_in():
        # A signed-in page stays out of every cache, so that after signing out the Back
        # button or a shared computer's cache cannot show it again.
        missing.append(("Cache-Control", "private, no-store"))
    response.headers.extend(missing)
    if "set-cookie" in present:
        _secure_prefixed_cookies(response)
    return response


def _signed_in() -> bool:
    # Only a request that already loaded its user (or carries one in its session) can
    # be signed in; anonymous requests never touch the database here.
    return "_user_id" in session and current_user.is_authenticated


def _secure_prefixed_cookies(response: Response) -> None:
    """Mark ``__Host-``/``__Secure-`` cookies Secure where a library forgot.

    Flask-Login deletes its remember cookie without the Secure flag, and a browser
    ignores that deletion for a prefixed cookie, leaving the stale cookie behind.
    """
    cookies = response.headers.getlist("Set-Cookie")
    if not any(c.startswith(SECURE_PREFIXES) for c in cookies):
        return
    fixed = []
    for cookie in cookies:
        attributes = {part.strip().split("=", 1)[0].lower() for part in cookie.split(";")[1:]}
        if cookie.startswith(SECURE_PREFIXES) and "secure" not in attributes:
            cookie += "; Secure"
        fixed.append(cookie)
    del response.headers["Set-Cookie"]
    for cookie in fixed:
        response.headers.add("Set-Cookie", cookie)
