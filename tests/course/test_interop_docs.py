"""The deployment and interoperability guides agree with the engine and each other."""

from __future__ import annotations

import re
from pathlib import Path

from flask import Flask

from course import signing_keys
from course.signing_keys import LEGACY_KEY_FILE

ROOT = Path(__file__).resolve().parents[2]
GUIDE = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
INTEROP = (ROOT / "docs" / "interoperability.md").read_text(encoding="utf-8")


def _anchor(heading: str) -> str:
    """GitHub's anchor for a Markdown heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_a_new_key_lives_in_the_database_not_in_a_file_an_operator_should_copy(
    app: Flask,
) -> None:
    with app.app_context():
        signing_keys.current_key(signing_keys.CREDENTIAL)
        assert not (Path(app.instance_path) / LEGACY_KEY_FILE).exists()
    # So the guide must not send an operator adding a server to copy that file, nor
    # promise it in the instance folder: it says the keys are in the database.
    assert "Copy the credential signing key" not in GUIDE
    assert "instance/ (credential key)" not in GUIDE
    assert "kept in the database (table\n  `signing_key`)" in GUIDE


def test_the_guides_links_into_the_interoperability_doc_reach_a_heading() -> None:
    anchors = {_anchor(h) for h in re.findall(r"^#+ (.+)$", INTEROP, re.M)}
    linked = re.findall(r"interoperability\.md#([\w-]+)", GUIDE)
    assert linked
    assert set(linked) <= anchors


def _unit_settings(text: str, description: str) -> dict[str, str]:
    """The [Service] settings of the systemd unit whose Description starts so."""
    start = text.index(f"Description={description}")
    unit = text[start : text.index("```", start)]
    return dict(re.findall(r"^(User|Group|EnvironmentFile|WorkingDirectory)=(.+)$", unit, re.M))


def test_the_outbox_worker_unit_runs_as_the_web_app_does() -> None:
    web = _unit_settings(GUIDE, "CE course engine (gunicorn)")
    worker = _unit_settings(INTEROP, "CE course engine outbox worker")
    # Another environment file would leave the worker without DATABASE_URL and the
    # XAPI_* settings; without User= it would run as root.
    assert worker == web
    assert "deployment.md#7-systemd" in INTEROP and "## 7. systemd" in GUIDE
