"""Production settings: a long random secret key or no start, no demo account, and cookies
that are host-only, Secure, HttpOnly and SameSite=Lax."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from course import create_app
from course.config import ProductionConfig
from course.extensions import db, limiter
from course.models import User
from tests.course.factories import PASSWORD, csrf_token_in, make_user
from tests.course.test_security import HTTPS, assert_security_headers

ROOT = Path(__file__).resolve().parents[2]


def production_settings(tmp_path: Path, secret: str) -> type[ProductionConfig]:
    """ProductionConfig with a given secret and a throw-away database."""
    return type(
        "ProductionForTest",
        (ProductionConfig,),
        {
            "SECRET_KEY": secret,
            "BASE_URL": "https://ce.example.org",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'prod.db'}",
            "CONTENT_DIR": str(tmp_path / "content"),
            "RATELIMIT_STORAGE_URI": "memory://",
        },
    )


@pytest.mark.parametrize(
    "secret",
    ["dev-only-not-secret", "", "short", "x" * 31, secrets.token_hex(15)],
    # Named, not shown: the random one must get the same id in every test process.
    ids=["default", "empty", "short", "31-characters", "random-30-characters"],
)
def test_production_refuses_a_default_or_short_secret_key(tmp_path, secret):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(production_settings(tmp_path, secret))


def test_production_refuses_the_development_key_as_a_fallback(tmp_path):
    settings = production_settings(tmp_path, secrets.token_urlsafe(48))
    settings = type("WithDevFallback", (settings,), {
        "SECRET_KEY_FALLBACKS": [secrets.token_urlsafe(48), "dev-only-not-secret"]})
    with pytest.raises(RuntimeError, match="SECRET_KEY_FALLBACKS"):
        create_app(settings)


@pytest.mark.parametrize("retired", ["changeme", "x" * 31, b"short"], ids=["word", "31", "bytes"])
def test_production_refuses_a_short_fallback_key(tmp_path, retired):
    """A retired key still signs for everyone, so it must be as long as the current one."""
    settings = production_settings(tmp_path, secrets.token_urlsafe(48))
    settings = type("WithShortFallback", (settings,), {
        "SECRET_KEY_FALLBACKS": [secrets.token_urlsafe(48), retired]})
    with pytest.raises(RuntimeError, match="SECRET_KEY_FALLBACKS"):
        create_app(settings)


def test_retired_keys_are_read_from_the_environment_separated_by_spaces_or_commas():
    environment = {**os.environ, "SECRET_KEY_FALLBACKS": " first-old-key, second-old-key  "}
    shown = subprocess.run(
        [sys.executable, "-c", "from course.config import Config; "
         "print(' '.join(Config.SECRET_KEY_FALLBACKS))"],
        env=environment, capture_output=True, text=True, check=True, cwd=ROOT)
    assert shown.stdout.split() == ["first-old-key", "second-old-key"]


@pytest.mark.parametrize("name", ["SITE_NAME", "MAIL_FROM", "PROVIDER_NAME", "PROVIDER_CONTACT",
                                  "CERT_SIGNATORY_NAME"])
def test_production_refuses_the_deployment_guides_example_names(tmp_path, name):
    from course.provider import GUIDE_EXAMPLES

    settings = production_settings(tmp_path, secrets.token_urlsafe(48))
    settings = type("WithExample", (settings,), {name: GUIDE_EXAMPLES[name]})
    with pytest.raises(RuntimeError, match=rf"{name} \('[^']+'\) is the deployment guide's"):
        create_app(settings)


def test_production_names_every_example_copied_from_the_guide_at_once(tmp_path):
    # One at a time, an operator who copied the guide's settings restarts once for each.
    from course.provider import GUIDE_EXAMPLES

    settings = production_settings(tmp_path, secrets.token_urlsafe(48))
    settings = type("WithExamples", (settings,), dict(GUIDE_EXAMPLES))
    with pytest.raises(RuntimeError) as refused:
        create_app(settings)
    assert all(name in str(refused.value) for name in GUIDE_EXAMPLES)
    assert "are the deployment guide's examples: set your" in str(refused.value)


def test_production_has_no_demo_account(production_app):
    result = production_app.test_cli_runner().invoke(args=["users", "demo-admin"])
    assert result.exit_code != 0 and "development only" in result.output
    with production_app.app_context():
        assert db.session.scalar(select(User)) is None


def test_production_starts_with_a_long_random_secret_key(tmp_path):
    app = create_app(production_settings(tmp_path, secrets.token_urlsafe(32)))
    assert app.config["ENV_NAME"] == "production"
    assert not app.debug
    assert app.config["PREFERRED_URL_SCHEME"] == "https"
    with app.app_context():
        db.engine.dispose()


def _cookie(set_cookies: list[str], name: str) -> dict[str, str | bool]:
    """Parse the Set-Cookie header for one cookie into its attributes."""
    (header,) = [c for c in set_cookies if c.startswith(name + "=")]
    first, *rest = [part.strip() for part in header.split(";")]
    attributes: dict[str, str | bool] = {"value": first.split("=", 1)[1]}
    for part in rest:
        key, _, value = part.partition("=")
        attributes[key.lower()] = value or True
    return attributes


def _assert_host_only_secure(
    cookie: dict[str, str | bool], what: str, samesite: str = "Lax"
) -> None:
    assert cookie.get("secure") is True, what
    assert cookie.get("httponly") is True, what
    assert cookie.get("samesite") == samesite, what
    assert cookie.get("path") == "/", what  # a __Host- cookie needs Path=/ and no Domain
    assert "domain" not in cookie, what


@pytest.fixture
def production_app(tmp_path: Path) -> Iterator[Flask]:
    app = create_app(production_settings(tmp_path, secrets.token_urlsafe(48)))
    with app.app_context():
        db.create_all()
        limiter.reset()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_production_cookies_are_host_only_secure_httponly_and_lax(production_app):
    with production_app.app_context():
        user = make_user(email="prod@example.org")
    client = production_app.test_client()
    page = client.get("/auth/login", base_url=HTTPS).get_data(as_text=True)
    token = csrf_token_in(page)
    response = client.post(
        "/auth/login",
        base_url=HTTPS,
        headers={"Referer": f"{HTTPS}/auth/login"},  # CSRF checks the referrer over HTTPS
        data={"email": user.email, "password": PASSWORD, "remember": "y", "csrf_token": token},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    set_cookies = response.headers.getlist("Set-Cookie")
    assert not [c for c in set_cookies if not c.startswith("__Host-")], set_cookies
    session = _cookie(set_cookies, "__Host-session")
    remember = _cookie(set_cookies, "__Host-remember")
    _assert_host_only_secure(session, "session cookie")
    _assert_host_only_secure(remember, "remember cookie")
    device = _cookie(set_cookies, "__Host-device")  # marks a browser that signed in before
    _assert_host_only_secure(device, "device cookie", samesite="Strict")
    assert "max-age" not in session and "expires" not in session  # ends with the browser
    expires = parsedate_to_datetime(str(remember["expires"]))
    assert timedelta(days=29) < expires - datetime.now(UTC) <= timedelta(days=30)
    assert_security_headers(response, "sign-in", https=True)

    # Signing out deletes the remember cookie with attributes a browser accepts for a
    # __Host- cookie (without Secure the deletion would be ignored), and the session
    # that carries the goodbye message keeps its own attributes.
    page = client.get("/me", base_url=HTTPS).get_data(as_text=True)
    token = csrf_token_in(page)
    out = client.post(
        "/auth/logout",
        base_url=HTTPS,
        headers={"Referer": f"{HTTPS}/me"},
        data={"csrf_token": token},
    )
    assert out.status_code == 302
    cleared = out.headers.getlist("Set-Cookie")
    remember = _cookie(cleared, "__Host-remember")
    assert remember["value"] in ("", '""')
    assert remember.get("max-age") == "0" or "1970" in str(remember.get("expires"))
    assert remember.get("secure") is True and remember.get("path") == "/"
    _assert_host_only_secure(_cookie(cleared, "__Host-session"), "session after sign-out")
    assert client.get("/auth/profile", base_url=HTTPS).status_code == 302


def test_cookies_are_lax_and_httponly_in_every_configuration(app, client):
    with app.app_context():
        user = make_user(email="dev@example.org")
    response = client.post(
        "/auth/login", data={"email": user.email, "password": PASSWORD, "remember": "y"}
    )
    cookies = response.headers.getlist("Set-Cookie")
    for name in ("session", "remember_token"):
        cookie = _cookie(cookies, name)
        assert cookie.get("httponly") is True and cookie.get("samesite") == "Lax", name
