"""The independent verifier that checks our credentials: installed once, run per check."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

VERIFIER = Path(__file__).resolve().parent / "verifier"
OB_CONTEXT = (
    Path(__file__).resolve().parents[2] / "certificates" / "contexts" / "ob-v3p0-context-3.0.3.json"
)


def verifier_ready() -> Path:
    """Install the verifier's pinned packages once; skip, saying why, when that cannot be."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.skip("the independent verifier needs Node.js and npm (apt-get install nodejs npm)")
    stamp = VERIFIER / "node_modules" / ".package-lock.json"
    lock = VERIFIER / "package-lock.json"
    if not stamp.exists() or stamp.stat().st_mtime < lock.stat().st_mtime:
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=VERIFIER, capture_output=True, text=True, timeout=600,
        )
        if done.returncode != 0:
            pytest.skip(f"could not install the verifier's packages: {done.stderr[-500:]}")
    return VERIFIER / "verify.mjs"


def third_party_check(script: Path, document: dict, tmp_path: Path) -> dict:
    """Run the independent verifier on a credential; return its verdict."""
    path = tmp_path / "credential.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    done = subprocess.run(
        ["node", str(script), str(path), str(OB_CONTEXT)],
        cwd=VERIFIER, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])
