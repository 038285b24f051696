"""Platform registration: https URLs in production; loopback http only in development
and tests, where the platform is played on this machine."""

from __future__ import annotations

import pytest
from flask import Flask

from course.lti.forms import PlatformForm

URL_FIELDS = ("auth_login_url", "auth_token_url", "jwks_url")


def _errors(app: Flask, env: str, base: str) -> dict[str, list[str]]:
    data = {"name": "Agency Moodle", "issuer": "https://moodle.agency.example",
            "client_id": "tool", "deployment_ids": "1", "reason": "pilot", "active": "y",
            "auth_login_url": f"{base}/auth", "auth_token_url": f"{base}/token",
            "jwks_url": f"{base}/jwks"}
    app.config["ENV_NAME"] = env
    with app.test_request_context("/admin/lti/new", method="POST", data=data):
        form = PlatformForm(meta={"csrf": False})
        form.validate()
        return {name: errors for name, errors in form.errors.items() if name in URL_FIELDS}


@pytest.mark.parametrize("base", ["http://localhost:8000", "http://127.0.0.1:9001",
                                  "http://[::1]:8080"])
def test_production_refuses_loopback_http(app: Flask, base: str) -> None:
    errors = _errors(app, "production", base)
    assert set(errors) == set(URL_FIELDS)
    assert errors == {
        "auth_login_url": ["Use the platform's https:// address for the OIDC authentication "
                           "request URL."],
        "auth_token_url": ["Use the platform's https:// address for the Access token URL (for "
                           "grades)."],
        "jwks_url": ["Use the platform's https:// address for the Public keyset URL (JWKS)."],
    }


@pytest.mark.parametrize("env", ["development", "testing"])
@pytest.mark.parametrize("base", ["http://localhost:8000", "http://127.0.0.1:9001"])
def test_development_and_tests_take_loopback_http(app: Flask, env: str, base: str) -> None:
    assert _errors(app, env, base) == {}


@pytest.mark.parametrize("env", ["production", "development"])
def test_https_is_taken_and_other_http_refused_everywhere(app: Flask, env: str) -> None:
    assert _errors(app, env, "https://moodle.agency.example") == {}
    # A name merely starting like a loopback one is somewhere else entirely.
    for base in ("http://moodle.agency.example", "http://localhost.evil.example"):
        assert set(_errors(app, env, base)) == set(URL_FIELDS)


FETCHED = {"auth_token_url", "jwks_url"}  # the server sends requests to these itself


@pytest.mark.parametrize(("base", "named"), [
    ("https://169.254.169.254", "169.254.169.254 is a link-local address"),
    ("https://127.0.0.1:8443", "127.0.0.1 is this server itself"),
    ("https://localhost", "localhost (127.0.0.1) is this server itself"),
    ("https://[::ffff:127.0.0.1]", "::ffff:127.0.0.1 is this server itself"),
    # AWS's IPv6 instance metadata address sits in a private range, not a link-local one.
    ("https://[fd00:ec2::254]", "fd00:ec2::254 is a cloud host's metadata service"),
    ("https://100.100.100.200", "100.100.100.200 is a cloud host's metadata service"),
])
def test_production_refuses_urls_the_server_would_fetch_from_itself_or_link_local(
    app: Flask, base: str, named: str
) -> None:
    errors = _errors(app, "production", base)
    # The OIDC login URL is where the learner's browser goes, never the server.
    assert set(errors) == FETCHED
    assert all(e == [f"{named}; this site never sends a platform's requests there. Give the "
                     "platform's own address."] for e in errors.values()), errors


def test_an_lms_on_the_agencys_private_network_is_taken_in_production(app: Flask) -> None:
    assert _errors(app, "production", "https://10.20.30.40") == {}
    assert _errors(app, "production", "https://192.168.1.20:8443") == {}


def test_a_platform_played_on_this_machine_is_taken_outside_production(app: Flask) -> None:
    assert _errors(app, "development", "https://127.0.0.1:8443") == {}


@pytest.mark.parametrize("env", ["production", "development"])
def test_a_value_that_is_no_address_is_told_once_naming_the_field(app: Flask, env: str) -> None:
    # "Invalid URL." alone in the error summary names no field; a second "use https"
    # under the same field said the same thing again.
    errors = _errors(app, env, "moodle.agency.example")
    assert errors == {
        "auth_login_url": ["Enter the platform's authentication request URL as a full "
                           "address, starting with https://."],
        "auth_token_url": ["Enter the platform's access token URL as a full address, "
                           "starting with https://."],
        "jwks_url": ["Enter the platform's public keyset URL as a full address, starting "
                     "with https://."],
    }
