"""The deployment guide as an operator copies it: gunicorn's settings, the proxy, the unit."""

from __future__ import annotations

import re
from pathlib import Path

from gunicorn.config import Config

ROOT = Path(__file__).resolve().parents[2]
GUIDE = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _block(after: str, language: str) -> str:
    start = GUIDE.index(after)
    found = re.compile(rf"```{language}\n(.*?)```", re.S).search(GUIDE, start)
    assert found, after
    return found.group(1)


def _guide_gunicorn_config() -> Config:
    """gunicorn's own reading of the guide's gunicorn.conf.py."""
    namespace: dict[str, object] = {}
    exec(compile(_block("gunicorn.conf.py`:", "python"), "gunicorn.conf.py", "exec"), namespace)
    config = Config()
    unknown = [k for k in namespace if not k.startswith("__") and k not in config.settings]
    assert not unknown, f"not gunicorn settings: {unknown}"
    for name, value in namespace.items():
        if name in config.settings:
            config.set(name, value)
    return config


def test_each_instance_has_its_own_control_socket_from_its_unit() -> None:
    config = _guide_gunicorn_config()
    default = Config().control_socket  # in the user's home: shared by every instance
    assert not config.control_socket_disable
    assert config.control_socket != default
    socket = Path(config.control_socket)
    unit = _block("course-engine.service`:", "ini")
    assert f"RuntimeDirectory={socket.parent.name}\n" in unit
    assert socket.parent == Path("/run") / socket.parent.name
    assert config.control_socket_mode == 0o600


def test_gunicorn_listens_only_where_the_proxy_reaches_it() -> None:
    config = _guide_gunicorn_config()
    assert config.bind == ["127.0.0.1:8000"]
    for text in (GUIDE, README):
        assert "behind the reverse proxy" in text
        assert "slowloris" in text


def test_a_timer_sends_queued_mail_within_minutes_on_a_quiet_site() -> None:
    # Workers send mail after a response; one killed first leaves its message queued
    # until the next request, so a timer must not leave it until the daily job.
    unit = _block("A timer every", "ini")
    service, timer = unit.split("# course-engine-queues.timer")
    assert "ExecStart=/srv/course-engine/.venv/bin/flask --app wsgi mail send\n" in service
    assert "Type=oneshot" in service
    every = re.search(r"^OnUnitActiveSec=(\d+)min$", timer, re.M)
    assert every and int(every.group(1)) <= 5
    enable = _block("queued messages every two minutes", "sh")
    assert "systemctl enable --now" in enable and "course-engine-queues.timer" in enable
