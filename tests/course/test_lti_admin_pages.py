"""The LMS connection pages tell an administrator where each value comes from in Moodle
and in Canvas, and where to see whether scores reach the LMS."""

from __future__ import annotations

from html import unescape

from tests.course.factories import sign_in


def _text(client, url: str) -> str:
    return " ".join(unescape(client.get(url).get_data(as_text=True)).split())


def test_the_registration_form_names_canvas_values_too(app, data) -> None:
    page = _text(sign_in(app.test_client(), data.admin), "/admin/lti/new")
    # Hosted Canvas sends one issuer for every school: an agency's own Canvas address
    # there would refuse every launch.
    assert ("Canvas hosted by Instructure: https://canvas.instructure.com, not your agency's "
            "Canvas address.") in page
    assert "Canvas: the developer key's number (its Client ID)." in page
    assert "Canvas: the installed app's Deployment ID (Settings, Apps" in page
    assert "Every field is required unless marked optional." in page


def test_this_tool_names_the_launch_container_and_privacy_settings(app, data) -> None:
    page = _text(sign_in(app.test_client(), data.admin), "/admin/lti")
    # Canvas frames a tool unless told otherwise, and a framed launch is refused.
    assert "Canvas: tick “Load in a new tab” on each module item" in page
    assert "Moodle: Default launch container “New window”" in page
    assert "Moodle: “Share launcher's name with tool: Always”" in page
