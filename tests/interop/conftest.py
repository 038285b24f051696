"""Interoperability tests: the engine against real counterparts on loopback.

An independent credential verifier (Digital Bazaar's VC libraries under Node.js), a
learning record store and an LTI platform played by the tests. Every test here is
marked ``interop`` and runs in the serial pass, except the LTI platform's, which is played
in-process and runs in the parallel one (``in_process``); each skips, saying why, when the
program it needs is missing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from course.extensions import db
from course.models import LtiPlatform
from tests.course.certificate_kit import quick
from tests.course.conftest import (  # noqa: F401  (fixtures)
    app,
    app_builder,
    client,
    inbox,
    package_copy,
    runner,
)
from tests.course.factories import import_course
from tests.interop.lti_platform import PlayedPlatform, start

HERE = Path(__file__).resolve().parent
#: The tool's address while an LMS played by the tests launches it.
LTI_BASE = "http://localhost"


#: Files whose counterpart is played in the test's own process (a thread on a free port):
#: they run beside other tests, in the parallel pass (``in_process``).
IN_PROCESS = {"test_interop_lti.py", "test_interop_lti_link.py",
              "test_interop_lti_refusals.py", "test_interop_lti_deep_linking.py"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test in this folder ``interop``, and those playing their counterpart
    in-process ``in_process`` too."""
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.interop)
            if item.path.name in IN_PROCESS:
                item.add_marker(pytest.mark.in_process)


@pytest.fixture
def live_url(app: Flask) -> Iterator[str]:  # noqa: F811
    """Serve the test app over real HTTP on a loopback port; BASE_URL points there."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    app.config["BASE_URL"] = url
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield url
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


@pytest.fixture
def platform(app: Flask, package_copy: Path) -> Iterator[PlayedPlatform]:  # noqa: F811
    """A running LMS played by the tests, registered with the tool, and the course it
    launches (the tool's BASE_URL is ``LTI_BASE``)."""
    app.config["BASE_URL"] = LTI_BASE
    played = PlayedPlatform()
    server, thread = start(played)
    with app.app_context():
        import_course(quick(package_copy))
        db.session.add(LtiPlatform(**played.registration()))
        db.session.commit()
    played.tool_jwks = app.test_client().get("/lti/jwks.json").get_json()
    yield played
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)
