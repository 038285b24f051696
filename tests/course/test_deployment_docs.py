"""The deployment guide as an operator copies it: gunicorn's settings, the proxy, the unit."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from gunicorn.config import Config

ROOT = Path(__file__).resolve().parents[2]
GUIDE = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
README = (ROOT / "README.md").read_text(encoding="utf-8")


def guide_block(after: str, language: str) -> str:
    """The first ``language`` code block of the deployment guide after the text ``after``."""
    start = GUIDE.index(after)
    found = re.compile(rf"```{language}\n(.*?)```", re.S).search(GUIDE, start)
    assert found, after
    return found.group(1)


def _guide_gunicorn_config() -> Config:
    """gunicorn's own reading of the guide's gunicorn.conf.py."""
    namespace: dict[str, object] = {}
    source = guide_block("gunicorn.conf.py`:", "python")
    exec(compile(source, "gunicorn.conf.py", "exec"), namespace)
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
    unit = guide_block("course-engine.service`:", "ini")
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
    unit = guide_block("A timer every", "ini")
    service, timer = unit.split("# course-engine-queues.timer")
    assert "ExecStart=/srv/course-engine/.venv/bin/flask --app wsgi mail send\n" in service
    assert "Type=oneshot" in service
    every = re.search(r"^OnUnitActiveSec=(\d+)min$", timer, re.M)
    assert every and int(every.group(1)) <= 5
    enable = guide_block("queued messages every two minutes", "sh")
    assert "systemctl enable " in enable and "course-engine-queues.timer" in enable
    # Started only once the database holds its tables: against an empty one the timer
    # failed every two minutes with a traceback.
    assert "--now" not in enable
    first = guide_block("First start.", "sh")
    assert first.index("flask db upgrade") < first.index("systemctl start")
    assert "course-engine-queues.timer" in first[first.index("systemctl start"):]


def test_a_mail_outage_fails_the_queues_unit_without_holding_up_the_outbox() -> None:
    # `mail send` exits 1 when email needs a person, and a oneshot unit skips the lines
    # after a failed one: LMS scores must not wait for the mail server.
    service = guide_block("A timer every", "ini").split("# course-engine-queues.timer")[0]
    commands = re.findall(r"^ExecStart=\S+ --app wsgi (.+)$", service, re.M)
    assert commands[-1] == "mail send" and "outbox send" in commands
    watched = guide_block("let your monitoring run", "sh")
    assert "flask mail status --check" in watched and "flask outbox status --check" in watched


def _systemd_reading(text: str) -> dict[str, str]:
    """The variables as systemd's EnvironmentFile= reads them: whole lines, quotes removed.

    systemd takes everything after the first ``=`` (a ``#`` later on the line included)
    and strips one pair of surrounding quotes; only a line starting with ``#`` is a comment.
    """
    found = {}
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, value = line.split("=", 1)
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        found[name.strip()] = value
    return found


def test_the_settings_file_reads_the_same_to_systemd_and_to_the_shell(tmp_path) -> None:
    block = guide_block("Put the settings in `/etc/course-engine/env`", "sh")
    env_file = tmp_path / "env"
    env_file.write_text(block, encoding="utf-8")
    systemd = _systemd_reading(block)
    shell = subprocess.run(
        ["sh", "-c", 'set -a; . "$1"; set +a; env -0', "sh", str(env_file)],
        capture_output=True, check=True, env={"PATH": os.environ["PATH"]},
    )
    assert shell.stderr == b""  # no second word run as a command
    from_shell = dict(item.split("=", 1) for item in shell.stdout.decode().split("\0") if item)
    assert {name: from_shell.get(name) for name in systemd} == systemd
    assert " " in systemd["PROVIDER_NAME"] and "#" not in "".join(systemd.values())
    assert systemd["LOG_FORMAT"] == "json" and systemd["COURSE_ENV"] == "production"
    # The guide's example provider and signatory are the ones a production start refuses.
    from course.provider import GUIDE_EXAMPLES

    assert {name: systemd[name] for name in GUIDE_EXAMPLES} == GUIDE_EXAMPLES


def test_the_web_service_writes_only_its_instance_folder() -> None:
    unit = guide_block("/etc/systemd/system/course-engine.service", "ini")
    assert "ReadWritePaths=/srv/course-engine/instance\n" in unit
    install = guide_block("## 1. Install", "sh")
    assert "install -d -o course -g course -m 0700 /var/backups/course-engine" in install


def test_the_restore_drill_never_restores_over_the_live_database() -> None:
    # A restore replaces every row: "test a restore" through the wrapper, which reads the
    # live DATABASE_URL, would wipe out everything learners did since the backup.
    drill = guide_block("test a restore now and then", "sh")
    scratch = re.search(r"^\s*export DATABASE_URL=(\S+)$", drill, re.M)
    assert scratch and "restore-test" in scratch.group(1)
    assert drill.index("export DATABASE_URL") < drill.index("db restore")
    assert not re.search(r"^\s*flask db restore", drill, re.M)  # not the wrapper


def test_every_mail_command_the_docs_name_exists_and_the_retention_is_the_default() -> None:
    from course.cli_mail import mail_cli
    from course.config import Config

    named = set(re.findall(r"flask mail (\w+)", GUIDE)) | set(
        re.findall(r"^\| `mail (\w+)", README, re.M))
    assert {"send", "status", "retry", "drop", "acknowledge"} <= named
    assert named <= set(mail_cli.commands)
    days = Config.MAIL_FAILED_RETENTION_DAYS
    assert f"`MAIL_FAILED_RETENTION_DAYS` ({days} days)" in GUIDE
    assert f"| `MAIL_FAILED_RETENTION_DAYS` | `{days}` |" in README
    assert f"`MAIL_FAILED_RETENTION_DAYS` ({days}) after it failed" in README
