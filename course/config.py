"""Settings, read from environment variables with safe development defaults."""

from __future__ import annotations

import os
from datetime import timedelta

DEV_SECRET_KEY = "dev-only-not-secret"


#: Settings whose value could not be read, each with what it should be; the factory
#: refuses to start while any is here (``config_for``), naming them all in one line.
PROBLEMS: list[str] = []

_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"", "0", "false", "no", "off"}


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    word = value.strip().lower()
    if word not in _TRUE | _FALSE:
        # A typo must not turn a safeguard off (RATELIMIT_ENABLED) or TLS (MAIL_USE_TLS).
        PROBLEMS.append(f"{name} must be 1, true, yes or on, or 0, false, no or off, not {value!r}")
        return default
    return word in _TRUE


def _int(name: str, default: int, least: int | None = None) -> int:
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except ValueError:
        PROBLEMS.append(f"{name} must be a whole number, not {value!r}")
        return default
    if least is not None and number < least:
        # SESSION_IDLE_MINUTES=0 signed everyone out at once; HEARTBEAT_SECONDS=0 made
        # every open lesson call the server without pause.
        PROBLEMS.append(f"{name} must be {least} or more, not {value!r}")
        return default
    return number


def _choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = (os.environ.get(name) or "").strip()
    if not value:
        return default
    if value not in choices:
        PROBLEMS.append(f"{name} must be one of {', '.join(choices)}, not {value!r}")
        return default
    return value


def _words(name: str) -> list[str]:
    """Read a list of values separated by spaces or commas (none when unset)."""
    return (os.environ.get(name) or "").replace(",", " ").split()


def _proxies(name: str) -> int:
    """Read a count of trusted proxies: a number, or yes/no (1/0)."""
    value = (os.environ.get(name) or "").strip().lower()
    if value in {"", "0", "false", "no", "off"}:
        return 0
    if value in {"true", "yes", "on"}:
        return 1
    if not value.isdigit():
        PROBLEMS.append(f"{name} must be the number of proxies in front of the app, not {value!r}")
        return 0
    return int(value)


class SettingError(RuntimeError):
    """A setting that stops the start: its message names the setting and what to do."""


class Config:
    """Base settings; every value can be overridden by an environment variable."""

    ENV_NAME = "development"
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
    # Retired keys, still accepted on what they signed (course/secretkeys.py).
    SECRET_KEY_FALLBACKS = _words("SECRET_KEY_FALLBACKS")
    # None means "SQLite file in the instance folder"; the factory fills it in.
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL") or None
    # No ping before each use of a pooled connection (a round trip every request): a
    # connection is replaced after half an hour, and one that a restarted database server
    # dropped fails one request, which the client is asked to send again (course/errors.py).
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": False, "pool_recycle": 1800}
    # A web request's write waits this long for SQLite's lock, then gets a "busy" page.
    SQLITE_BUSY_TIMEOUT_MS = _int("SQLITE_BUSY_TIMEOUT_MS", 2000, least=1)
    CONTENT_DIR = os.environ.get("CONTENT_DIR", "content")
    BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000")
    SITE_NAME = os.environ.get("SITE_NAME", "CE Course Engine")

    WTF_CSRF_TIME_LIMIT = _int("CSRF_TIME_LIMIT_SECONDS", 8 * 3600, least=1)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SECURE_COOKIES", False)
    REMEMBER_COOKIE_DURATION = timedelta(days=_int("REMEMBER_DAYS", 30, least=1))
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    PERMANENT_SESSION_LIFETIME = timedelta(hours=_int("SESSION_ABSOLUTE_HOURS", 12, least=1))
    SESSION_IDLE_MINUTES = _int("SESSION_IDLE_MINUTES", 60, least=1)
    # How long before an idle sign-out the page asks "stay signed in?" (WCAG 2.2.1).
    SESSION_WARNING_SECONDS = _int("SESSION_WARNING_SECONDS", 180, least=1)
    # Marks a browser that signed in before (course/auth/devices.py).
    DEVICE_COOKIE_NAME = "device"
    # On: an admin or author without an authenticator app (course/auth/twofactor.py) is
    # sent to set one up right after the password and can open nothing else until done.
    # Off in development, so that `make run`'s demo admin signs in with its password
    # alone; on in production unless set (ProductionConfig).
    REQUIRE_STAFF_TWO_FACTOR = _bool("REQUIRE_STAFF_TWO_FACTOR", False)

    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    RATELIMIT_HEADERS_ENABLED = True
    # If the shared store (Redis) is unreachable, count in each process's memory until it
    # answers again, rather than failing sign-in and verification with a server error.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "20 per minute; 200 per hour")
    REGISTER_RATE_LIMIT = os.environ.get("REGISTER_RATE_LIMIT", "30 per hour")
    RESET_RATE_LIMIT = os.environ.get("RESET_RATE_LIMIT", "5 per minute; 30 per hour")
    # Per account: how often the profile may ask to move to a new email address.
    EMAIL_CHANGE_RATE_LIMIT = os.environ.get("EMAIL_CHANGE_RATE_LIMIT", "5 per hour")
    VERIFY_RATE_LIMIT = os.environ.get("VERIFY_RATE_LIMIT", "30 per minute; 300 per hour")
    # Per learner (course/learn/limits.py): every answer, save and submission together,
    # and the reading-time heartbeats (one every HEARTBEAT_SECONDS from each open tab).
    LEARNER_WRITE_RATE_LIMIT = os.environ.get(
        "LEARNER_WRITE_RATE_LIMIT", "60 per minute; 1200 per hour"
    )
    HEARTBEAT_RATE_LIMIT = os.environ.get("HEARTBEAT_RATE_LIMIT", "12 per minute; 400 per hour")
    # The CE provider (course/provider.py): until PROVIDER_NAME names a real provider
    # (PROVIDER_DEMO off), every certificate says it is a sample.
    PROVIDER_NAME = os.environ.get("PROVIDER_NAME", "")
    PROVIDER_CONTACT = os.environ.get("PROVIDER_CONTACT", "")
    # The provider's page of policies for participants: complaints and accommodations.
    PROVIDER_POLICIES_URL = os.environ.get("PROVIDER_POLICIES_URL", "")
    PROVIDER_TIMEZONE = os.environ.get("PROVIDER_TIMEZONE", "America/Chicago")
    PROVIDER_DEMO = _bool("PROVIDER_DEMO", False)
    # A whole agency may launch from one address (its office network): set generously.
    LTI_RATE_LIMIT = os.environ.get("LTI_RATE_LIMIT", "120 per minute; 2000 per hour")
    CERT_SIGNATORY_NAME = os.environ.get("CERT_SIGNATORY_NAME", "")
    CERT_SIGNATORY_TITLE = os.environ.get("CERT_SIGNATORY_TITLE", "")
    CERT_SIGNATURE_IMAGE = os.environ.get("CERT_SIGNATURE_IMAGE", "")

    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = _int("MAIL_PORT", 25, least=1)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", False)
    MAIL_FROM = os.environ.get("MAIL_FROM", "no-reply@localhost")
    # A message whose sender was killed mid-send waits this long before another sender
    # takes it over; keep it well above a slow SMTP exchange (each step may take 15 s).
    MAIL_CLAIM_SECONDS = _int("MAIL_CLAIM_SECONDS", 60, least=1)
    # Email refused for good (or still failing after a day of retries) is kept this long
    # after it failed, for the operator to see, send again or drop (`flask mail status`).
    MAIL_FAILED_RETENTION_DAYS = _int("MAIL_FAILED_RETENTION_DAYS", 30, least=1)
    PASSWORD_RESET_MINUTES = _int("PASSWORD_RESET_MINUTES", 60, least=1)
    # How long the emailed links that finish a sign-up or an email change work.
    REGISTRATION_LINK_HOURS = _int("REGISTRATION_LINK_HOURS", 24, least=1)

    MAX_CONTENT_LENGTH = _int("MAX_UPLOAD_BYTES", 5 * 1024 * 1024, least=1)
    # Off: a draft is published by a reviewer who made none of its changes. On, for a
    # provider with one reviewer: they may publish their own changes (recorded as such).
    ALLOW_SELF_PUBLISH = _bool("ALLOW_SELF_PUBLISH", False)
    # Off by default: only behind a reverse proxy, set to the number of proxies, so the
    # client's scheme (HTTPS, HSTS) and address (rate limits) come from X-Forwarded-*.
    TRUST_PROXY = _proxies("TRUST_PROXY")
    # Active time (docs/ce-credit.md): a lesson page beats this often while visible and
    # used; it stops once the learner has done nothing for IDLE_AFTER_SECONDS.
    HEARTBEAT_SECONDS = _int("HEARTBEAT_SECONDS", 30, least=1)
    IDLE_AFTER_SECONDS = _int("IDLE_AFTER_SECONDS", 180, least=1)

    # xAPI statements to a learning record store (docs/interoperability.md): made while
    # XAPI_ENABLED is on, sent by `flask outbox send` once XAPI_ENDPOINT is set.
    XAPI_ENABLED = _bool("XAPI_ENABLED", False)
    XAPI_ENDPOINT = os.environ.get("XAPI_ENDPOINT", "")
    XAPI_USERNAME = os.environ.get("XAPI_USERNAME", "")
    XAPI_PASSWORD = os.environ.get("XAPI_PASSWORD", "")
    # The learner as an email address (mbox) instead of an account on this site: only
    # when the provider's privacy notice and the registry's agreement allow it.
    XAPI_ACTOR_EMAIL = _bool("XAPI_ACTOR_EMAIL", False)
    XAPI_BATCH = _int("XAPI_BATCH", 50, least=1)
    # The xAPI version the LRS speaks, sent in every request's X-Experience-API-Version
    # header: an LRS of xAPI 2.0 (IEEE 9274.1.1) alone may refuse requests saying 1.0.3.
    XAPI_VERSION = _choice("XAPI_VERSION", "1.0.3", ("1.0.3", "2.0.0"))

    # Retention (README, "Privacy and retention"); `flask privacy purge` applies it.
    CREDIT_RETENTION_YEARS = _int("CREDIT_RETENTION_YEARS", 6)  # 6 at least (ACCME)
    RESPONSE_RETENTION_MONTHS = _int("RESPONSE_RETENTION_MONTHS", 24)
    DELETED_ACCOUNT_PURGE_DAYS = _int("DELETED_ACCOUNT_PURGE_DAYS", 30)
    AUDIT_IP_RETENTION_DAYS = _int("AUDIT_IP_RETENTION_DAYS", 180)
    # Scores and statements the LMS or LRS already holds; 7 at least (`xapi resend`).
    OUTBOX_DELIVERED_RETENTION_DAYS = _int("OUTBOX_DELIVERED_RETENTION_DAYS", 90)

    # An admin opening one learner's record is audited once per page and this many minutes
    # (course/admin/viewing.py): reloads and back-and-forth within one sitting add nothing.
    # 0 records every opening.
    AUDIT_VIEW_WINDOW_MINUTES = _int("AUDIT_VIEW_WINDOW_MINUTES", 30, least=1)

    # Logging (course/logs.py): level and line format; errors to Sentry when a DSN is set.
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "text").strip().lower()
    LOG_CONFIGURE = True
    SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
    SENTRY_ENVIRONMENT = os.environ.get("SENTRY_ENVIRONMENT", "")


class TestingConfig(Config):
    """Settings for the test suite: CSRF and rate limits off unless a test turns them on."""

    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-secret-key"
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL") or None
    # pytest captures log records itself; tests of the format install the handler.
    LOG_CONFIGURE = False
    # argon2id at argon2-cffi's test cost (course.auth.passwords); a testing app only.
    PASSWORD_HASHING = "cheapest"
    SENTRY_DSN = ""


class ProductionConfig(Config):
    """Production settings: secure cookies with host-only prefixes, https links."""

    ENV_NAME = "production"
    PREFERRED_URL_SCHEME = "https"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-session"
    REMEMBER_COOKIE_NAME = "__Host-remember"
    DEVICE_COOKIE_NAME = "__Host-device"
    # Staff accounts can issue, revoke and reissue CE certificates: a password alone is
    # not enough for them on a public server unless the operator says so.
    REQUIRE_STAFF_TWO_FACTOR = (
        "REQUIRE_STAFF_TWO_FACTOR" not in os.environ or Config.REQUIRE_STAFF_TWO_FACTOR
    )


CONFIGS: dict[str, type[Config]] = {
    "development": Config,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_for(env_name: str) -> type[Config]:
    """The settings ``COURSE_ENV`` names, in any case; any other name stops the start.

    Falling back to development for a typo ("prod", "Producton") would run a public
    server without its safeguards: the secret-key check, https-only links and cookies.
    """
    try:
        chosen = CONFIGS[env_name.strip().lower()]
    except KeyError:
        raise SettingError(
            f"COURSE_ENV must be one of {', '.join(CONFIGS)}, not {env_name!r}"
        ) from None
    if PROBLEMS:
        raise SettingError("; ".join(PROBLEMS))
    return chosen
