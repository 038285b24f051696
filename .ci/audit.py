"""Check the pinned dependencies against known vulnerabilities with pip-audit.

Usage: python .ci/audit.py requirements/constraints.txt

Fails (exit 1) when a pinned version has a known vulnerability. Passes, and says so
plainly, when the vulnerability database cannot be reached (an offline build machine):
the audit is then skipped, not passed. pip-audit reports a package its service cannot
look up as "skipped" and still prints "No known vulnerabilities found", so the skips
are counted here.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

TIMEOUT_SECONDS = 300  # pip-audit gives up on one lookup after 15 s; this bounds the rest
_UNREACHABLE = re.compile(
    r"ConnectionError|NameResolution|Max retries|timed out|Temporary failure|ProxyError|"
    r"SSLError|Connection refused|Network is unreachable|ServiceError",
)


def _run(requirements: Path, output: Path) -> subprocess.CompletedProcess[str]:
    command = [
        sys.executable, "-m", "pip_audit", "--requirement", str(requirements),
        # Every line is an exact pin: audit those versions without resolving anything.
        "--no-deps", "--disable-pip", "--progress-spinner", "off",
        "--format", "json", "--output", str(output),
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS)


def _report(document: dict) -> int:
    dependencies = document.get("dependencies", [])
    vulnerable = [d for d in dependencies if d.get("vulns")]
    skipped = [d for d in dependencies if d.get("skip_reason")]
    audited = len(dependencies) - len(skipped)
    for dependency in vulnerable:
        for vuln in dependency["vulns"]:
            fixes = ", ".join(vuln.get("fix_versions") or []) or "no fixed version yet"
            print(f"pip-audit: {dependency['name']} {dependency['version']}: {vuln['id']} "
                  f"(fixed in {fixes})")  # fmt: skip
    if skipped:
        print(f"pip-audit: the vulnerability database could not be reached for {len(skipped)} "
              f"of {len(dependencies)} packages, which were NOT audited "
              f"(first: {skipped[0]['skip_reason']})")  # fmt: skip
    if vulnerable:
        print(f"pip-audit: {len(vulnerable)} pinned package(s) have known vulnerabilities")
        return 1
    if audited:
        print(f"pip-audit: no known vulnerabilities in {audited} audited package(s)")
    return 0


def main(argv: list[str]) -> int:
    """Run the audit; return the exit status."""
    requirements = Path(argv[1] if len(argv) > 1 else "requirements/constraints.txt")
    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder) / "audit.json"
        try:
            result = _run(requirements, output)
        except subprocess.TimeoutExpired:
            print(f"pip-audit: no answer within {TIMEOUT_SECONDS} s; the audit was SKIPPED")
            return 0
        if output.exists() and output.stat().st_size:
            return _report(json.loads(output.read_text(encoding="utf-8")))
    if _UNREACHABLE.search(result.stderr):
        reason = result.stderr.strip().splitlines()[-1][:300]
        print(f"pip-audit: the vulnerability database could not be reached; the audit was "
              f"SKIPPED ({reason})")  # fmt: skip
        return 0
    sys.stderr.write(result.stdout + result.stderr)
    return result.returncode or 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
