"""Reproducible installs: the constraints file pins what pyproject.toml allows, and is used."""

from __future__ import annotations

import importlib.util
import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
CONSTRAINTS = ROOT / "requirements" / "constraints.txt"


def _pins() -> dict[str, str]:
    pins = {}
    for line in CONSTRAINTS.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pins[canonicalize_name(name)] = version
    return pins


def _requirements() -> list[Requirement]:
    extras = [r for extra in PROJECT["optional-dependencies"].values() for r in extra]
    return [Requirement(r) for r in PROJECT["dependencies"] + extras]


def test_every_dependency_is_pinned_within_its_range() -> None:
    pins = _pins()
    for requirement in _requirements():
        name = canonicalize_name(requirement.name)
        if name == canonicalize_name(PROJECT["name"]):
            continue
        assert name in pins, f"{requirement.name} has no pin: run `make lock`"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"{requirement.name}=={pins[name]} is outside {requirement.specifier}: `make lock`"
        )


def test_ranges_are_bounded_and_the_test_extra_reuses_the_server_extras() -> None:
    for requirement in _requirements():
        if canonicalize_name(requirement.name) == canonicalize_name(PROJECT["name"]):
            continue
        assert any(s.operator in ("<", "<=", "==", "~=") for s in requirement.specifier), (
            f"{requirement} has no upper bound"
        )
    own = [Requirement(r) for r in PROJECT["optional-dependencies"]["test"]]
    reused = [r for r in own if canonicalize_name(r.name) == canonicalize_name(PROJECT["name"])]
    assert reused and {"server", "postgres"} <= reused[0].extras
    server = {canonicalize_name(Requirement(r).name)
              for r in PROJECT["optional-dependencies"]["server"]}  # fmt: skip
    assert not server & {canonicalize_name(r.name) for r in own}, "repeated, not reused"


def test_every_install_goes_through_the_constraints_file() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    installs = re.findall(r"^\t\$\(PIP\) (.+)$", makefile, re.M)
    assert "PIP := $(BIN)/python -m pip install" in makefile and "-c $(CONSTRAINTS)" in makefile
    assert "-e '.[server]'" in installs and "-e '.[test]'" in installs
    assert "make audit" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    guide = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
    for line in re.findall(r"^.*pip install.*$", guide, re.M):
        assert "-c requirements/constraints.txt" in line, line
    assert re.search(r"^redis==\d", CONSTRAINTS.read_text(encoding="utf-8"), re.M)


def _audit_module():
    spec = importlib.util.spec_from_file_location("ci_audit", ROOT / ".ci" / "audit.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_audit_fails_on_a_vulnerability_and_says_when_it_could_not_look(capsys) -> None:
    audit = _audit_module()
    found = {"dependencies": [
        {"name": "flask", "version": "0.12", "vulns": [
            {"id": "PYSEC-2018-66", "fix_versions": ["0.12.3"], "description": "..."}]},
        {"name": "redis", "version": "8.1.0", "vulns": []},
    ]}  # fmt: skip
    assert audit._report(found) == 1
    assert "flask 0.12: PYSEC-2018-66 (fixed in 0.12.3)" in capsys.readouterr().out
    unreachable = {"dependencies": [
        {"name": "flask", "skip_reason": "Dependency not found on PyPI and could not be audited"},
    ]}  # fmt: skip
    assert audit._report(unreachable) == 0
    assert "could not be reached for 1 of 1 packages, which were NOT audited" in (
        capsys.readouterr().out
    )
    clean = {"dependencies": [{"name": "redis", "version": "8.1.0", "vulns": []}]}
    assert audit._report(clean) == 0
    assert "no known vulnerabilities in 1 audited package(s)" in capsys.readouterr().out
