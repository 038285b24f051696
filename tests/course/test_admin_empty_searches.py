"""A search of certificates or learners that finds nothing says so and what it searched,
rather than showing an empty table."""

from __future__ import annotations

from tests.course.factories import sign_in


def _text(client, url: str) -> str:
    return " ".join(client.get(url).get_data(as_text=True).split())


def test_searches_that_find_nothing_say_what_to_try(app, data):
    admin = sign_in(app.test_client(), data.admin)
    page = _text(admin, "/admin/certificates?q=nobody-like-this")
    assert ("No certificate matches “nobody-like-this”. Search by the certificate code, the"
            " name it prints or the holder's email address.") in page.replace("&#39;", "'")
    page = _text(admin, "/admin/learners?q=nobody-like-this")
    assert ("No account matches “nobody-like-this”. Search by part of a name, an email"
            " address or a license number.") in page
    # A search that finds someone lists them without the message.
    found = _text(admin, f"/admin/certificates?q={data.certificate_code}")
    assert "No certificate matches" not in found and data.certificate_code in found


def test_a_search_says_how_many_it_found_in_the_page_title(app, data):
    # A screen reader reads the title on arrival; the results sit below the form, out of
    # sight on a phone, and the title used to be the same whatever the search found.
    admin = sign_in(app.test_client(), data.admin)
    assert "<title>Learners: 0 accounts found" in _text(admin, "/admin/learners?q=nobody-like-this")
    assert "<title>Learners ·" in _text(admin, "/admin/learners")
    found = _text(admin, f"/admin/certificates?q={data.certificate_code}")
    assert "<title>Certificates: 1 certificate found" in found
    assert "<title>Audit log: 0 events found" in _text(admin, "/admin/audit?actor=nobody-like-this")
    assert "<title>Audit log ·" in _text(admin, "/admin/audit?page=1")
