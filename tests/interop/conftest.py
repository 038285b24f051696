"""Interoperability tests: the engine against real counterparts on loopback.

An independent credential verifier (Digital Bazaar's VC libraries under Node.js), a
learning record store and an LTI platform played by the tests. Every test here is
marked ``interop`` and runs in the serial pass; each skips, saying why, when the
program it needs is missing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.course.conftest import (  # noqa: F401  (fixtures)
    app,
    app_builder,
    client,
    package_copy,
    runner,
)

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test in this folder ``interop``."""
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.interop)


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
