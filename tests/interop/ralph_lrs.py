"""Ralph, a real learning record store, on loopback with its file-system backend.

Ralph has heavy dependencies (FastAPI, pydantic, bcrypt...), so it lives in a virtual
environment of its own beside the repository (``.ralph-venv``), never in the app's. It
is made the first time a test needs it; when that cannot be done (no network for the
package index, say), the tests skip and say why.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from base64 import b64encode
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / ".ralph-venv"
# Ralph 5.1's "lrs" extra leaves out requests, which its API imports.
REQUIREMENTS = ["ralph-malph[lrs,backend-fs]==5.1.0", "requests>=2.32,<3"]
STAMP = VENV / ".installed-ralph-malph-5.1.0"
USERNAME, PASSWORD = "course-engine", "lrs-test-password"


def ralph_python() -> Path:
    """Return the Python of Ralph's own virtual environment, making it once."""
    python = VENV / "bin" / "python"
    if STAMP.exists():
        return python
    try:
        if not python.exists():
            subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True,
                           capture_output=True, timeout=300)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet",
                        "--disable-pip-version-check", *REQUIREMENTS],
                       check=True, capture_output=True, text=True, timeout=900)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        detail = getattr(exc, "stderr", "") or str(exc)
        pytest.skip(f"Ralph LRS could not be installed in {VENV.name}: {str(detail)[-400:]}")
    STAMP.touch()
    return python


@dataclass
class Ralph:
    """A Ralph LRS process: its port, data folder and log; stop and start it at will."""

    python: Path
    port: int
    home: Path
    process: subprocess.Popen | None = None
    log: object = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/xAPI/"

    @property
    def store(self) -> Path:
        """Where the file-system backend keeps statements, one JSON a line."""
        return self.home / "data" / "fs_lrs.jsonl"

    def _write_credentials(self) -> None:
        script = (
            "import bcrypt, json, sys;"
            "print(bcrypt.hashpw(sys.argv[1].encode(), bcrypt.gensalt(rounds=4)).decode())"
        )
        hashed = subprocess.run([str(self.python), "-c", script, PASSWORD], check=True,
                                capture_output=True, text=True).stdout.strip()
        users = [{"username": USERNAME, "hash": hashed,
                  "scopes": ["statements/write", "statements/read/mine"],
                  "agent": {"objectType": "Agent", "mbox": "mailto:engine@example.org"}}]
        (self.home / "auth.json").write_text(json.dumps(users))

    def start(self) -> None:
        """Start (or start again) the server on the same port and data folder."""
        (self.home / "data").mkdir(parents=True, exist_ok=True)
        if not (self.home / "auth.json").exists():
            self._write_credentials()
        env = {
            **os.environ,
            "RALPH_APP_DIR": str(self.home),
            "RALPH_AUTH_FILE": str(self.home / "auth.json"),
            "RALPH_RUNSERVER_BACKEND": "fs",
            "RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH": str(self.home / "data"),
        }
        self.log = log = (self.home / "ralph.log").open("ab")
        self.process = subprocess.Popen(
            [str(self.python), str(Path(__file__).with_name("ralph_serve.py")), str(self.port)],
            env=env, cwd=self.home, stdout=log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"Ralph exited:\n{(self.home / 'ralph.log').read_text()[-3000:]}")
            try:
                self.get("whoami")
                return
            except OSError:
                time.sleep(0.2)
        pytest.fail(f"Ralph did not answer:\n{(self.home / 'ralph.log').read_text()[-3000:]}")

    def stop(self) -> None:
        """Stop the server (its data folder stays)."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        if self.log is not None:
            self.log.close()
            self.log = None

    def get(self, path: str) -> object:
        """GET a path of the LRS with the engine's credentials; return the JSON."""
        token = b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/{path}",
            headers={"Authorization": f"Basic {token}", "X-Experience-API-Version": "1.0.3"},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.loads(response.read())

    def stored(self) -> list[dict]:
        """Every statement the LRS holds, as written to its store."""
        if not self.store.exists():
            return []
        return [json.loads(line) for line in self.store.read_text().splitlines() if line]
