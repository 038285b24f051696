"""A correction request's confirmation shows where the certificate page opens, focused."""

from __future__ import annotations

import pytest

from tests.course.factories import sign_in


@pytest.fixture
def learner(app, data):
    """Learner A, signed in, who holds the valid certificate."""
    return sign_in(app.test_client(), data.learners["a"])


def test_the_confirmation_is_in_the_correction_section_and_takes_focus(data, learner) -> None:
    code = data.certificate_code
    sent = learner.post(
        f"/me/certificates/{code}/correction",
        data={"kind": "name", "requested_value": "Alex Rivera", "message": "Missing accent"},
    )
    assert sent.status_code == 303
    assert sent.location.endswith("#correction")  # the page opens at the section
    page = learner.get(sent.location).get_data(as_text=True)
    said = "Your request is sent. An administrator will answer it here and by email."
    assert page.count(said) == 1
    start = page.index('id="correction"')
    section = page[start : page.index("</section>", start)]
    # Inside the section it came from, not at the top of the page out of sight...
    assert said in section
    # ...and focused, so a screen reader reads it on arrival.
    assert 'focus-target" tabindex="-1" autofocus>' in section[: section.index(said)]
