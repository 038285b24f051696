"""gunicorn under the deployment guide's settings writes its own lines in the app's format."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.course.test_deployment_docs import guide_block
from tests.live_servers import Gunicorn, app_environment, flask_cli, gunicorn, gunicorn_available

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(not gunicorn_available(), reason="needs gunicorn")


@contextmanager
def _served_as_the_guide_says(root: Path, log_format: str) -> Iterator[Gunicorn]:
    """gunicorn with the guide's gunicorn.conf.py (the test server's address and files)."""
    settings = root / "gunicorn.conf.py"
    settings.write_text(guide_block("gunicorn.conf.py`:", "python"))
    database = f"sqlite:///{root / 'course.db'}"
    env = app_environment(database, ROOT / "content", LOG_FORMAT=log_format)
    flask_cli(env, "db", "upgrade")
    with gunicorn(root, env, workers=1, extra=["--config", str(settings)]) as server:
        yield server


def _lines(*paths: Path) -> list[str]:
    return [line for path in paths for line in path.read_text().splitlines() if line.strip()]


def test_a_json_journal_parses_line_by_line_and_names_each_request(tmp_path: Path) -> None:
    with _served_as_the_guide_says(tmp_path, "json") as server:
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{server.url}/no-such-page", timeout=10)
        request_id = refused.value.headers["X-Request-ID"]
        refused.value.close()
    records = [json.loads(line) for line in _lines(server.log, server.access_log)]

    started = [r for r in records if "Booting worker" in r["message"]]
    assert [r["logger"] for r in started] == ["gunicorn.error"]
    assert started[0]["level"] == "INFO" and started[0]["time"].endswith("Z")
    (access,) = [r for r in records if "/no-such-page" in r["message"]]
    assert access["logger"] == "gunicorn.access"
    assert access["request_id"] == request_id
    assert access["request"] == "GET /no-such-page HTTP/1.1"
    assert access["status"] == 404
    assert isinstance(access["duration_ms"], int) and access["bytes"] > 0


def test_text_lines_put_the_request_id_where_the_apps_lines_do(tmp_path: Path) -> None:
    with _served_as_the_guide_says(tmp_path, "text") as server:
        with urllib.request.urlopen(f"{server.url}/verify", timeout=10) as reply:
            request_id = reply.headers["X-Request-ID"]
    (line,) = [line for line in _lines(server.access_log) if "GET /verify " in line]
    assert f" INFO gunicorn.access request_id={request_id} 127.0.0.1 " in line
    assert line.endswith("ms") and '" 200 ' in line
