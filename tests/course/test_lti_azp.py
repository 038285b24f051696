"""The launch token's azp (authorized party), checked for one audience as for several
(LTI Security Framework 5.1.3, step 5); whole launches: tests/interop."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from course.db import utcnow
from course.extensions import db
from course.lti import services
from course.models import LtiLogin, LtiPlatform
from tests.interop.lti_platform import PlayedPlatform


def _check(app: Flask, monkeypatch: pytest.MonkeyPatch, **claims: Any) -> dict[str, Any]:
    played = PlayedPlatform(url="https://moodle.agency.example")
    monkeypatch.setattr(services, "signing_key_for",
                        lambda url, token, **_: played.key.public_key())
    with app.app_context():
        platform = LtiPlatform(**played.registration())
        db.session.add(platform)
        db.session.flush()
        login = LtiLogin(platform_id=platform.id, state="s" * 32, nonce="n" * 32,
                         created_at=utcnow())
        db.session.add(login)
        db.session.flush()
        token = played.id_token(nonce=login.nonce, sub="moodle-user-17",
                                target="http://localhost/courses/minimal", **claims)
        return services.check_id_token(token, login)


@pytest.mark.parametrize("audience", ["ce-tool-client", ["ce-tool-client", "other-tool"]])
def test_a_wrong_azp_is_refused_whatever_the_audiences(app: Flask, monkeypatch, audience) -> None:
    with pytest.raises(services.LaunchError, match="azp \\(authorized party\\) is 'other-tool', "
                                                   "not 'ce-tool-client'"):
        _check(app, monkeypatch, aud=audience, azp="other-tool")


def test_several_audiences_need_an_azp(app: Flask, monkeypatch) -> None:
    with pytest.raises(services.LaunchError, match="several audiences but no azp"):
        _check(app, monkeypatch, aud=["ce-tool-client", "other-tool"])


@pytest.mark.parametrize("azp", [None, "ce-tool-client"])
def test_one_audience_with_a_matching_or_no_azp_passes(app: Flask, monkeypatch, azp) -> None:
    assert _check(app, monkeypatch, azp=azp)["sub"] == "moodle-user-17"
