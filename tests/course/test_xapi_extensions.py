"""Every xAPI extension IRI the engine puts in a statement resolves to what it means."""

from __future__ import annotations

from flask import Flask

from course.outbox import xapi


def test_each_extension_in_a_statement_resolves_to_its_description(app: Flask) -> None:
    base = app.config["BASE_URL"]
    used = [*xapi.attempt_context(base, 1, 80), *xapi.credit_result(base, "C", 1, "General")
            ["extensions"], f"{base}/xapi/extensions/{xapi.LMS_ACCOUNTS}"]  # fmt: skip
    own = [iri for iri in used if iri.startswith(base)]
    assert len(own) == 5
    client = app.test_client()
    for iri in own:
        response = client.get(iri.removeprefix(base))
        assert response.status_code == 200, iri
        document = response.get_json()
        assert document["id"] == iri
        assert document["definition"]["en-US"] and document["prefLabel"]["en-US"]
        assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert client.get("/xapi/extensions/no-such-thing").status_code == 404
