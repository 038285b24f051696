"""Loading and checking whole course packages, from a folder or a name -> text mapping."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from types import MappingProxyType

from .evaluation import EVALUATION_FILE, parse_evaluation
from .lessonfile import LESSON_NAME, parse_lesson
from .manifest import COURSE_FILE, parse_manifest
from .model import (
    CoursePackage,
    EvaluationItem,
    Finding,
    Lesson,
    PackageError,
    Question,
    sort_findings,
)
from .questions import parse_question
from .rules import lint
from .timing import timing_findings
from .yamlread import MapReader, Source, compose

POST_TEST_FILE = "post-test.yaml"
REQUIRED_FILES = (COURSE_FILE, POST_TEST_FILE, EVALUATION_FILE)
# Notes for authors and reviewers that travel with the package; never shown to learners.
NOTE_FILES = ("README.md", "REVIEW.md")


def load_files(files: Mapping[str, str], *, expected_slug: str | None = None) -> CoursePackage:
    """Build a package from file name -> text; raises PackageError on schema errors."""
    package, findings = _load(files, expected_slug)
    if package is None:
        raise PackageError(findings)
    return package


def load_package(path: str | os.PathLike[str]) -> CoursePackage:
    """Read a package folder (UTF-8) and load it; the slug must match the folder name."""
    files, findings = _read_folder(Path(path))
    package, more = _load(files, Path(path).resolve().name)
    findings += more
    if package is None or any(f.level == "error" for f in findings):
        raise PackageError(findings)
    return package


def check_files(
    files: Mapping[str, str], *, expected_slug: str | None = None, provider_name: str = ""
) -> tuple[CoursePackage | None, list[Finding]]:
    """Schema and lint findings for file name -> text; the package is None on schema errors."""
    # provider_name: the provider the deployment names, if any (see rules.lint).
    package, findings = _load(files, expected_slug)
    if package is not None:
        findings += lint(package, provider_name=provider_name) + timing_findings(package)
    return package, sort_findings(findings)


def check_package(
    path: str | os.PathLike[str], *, provider_name: str = ""
) -> tuple[CoursePackage | None, list[Finding]]:
    """Schema and lint findings for a package folder."""
    files, findings = _read_folder(Path(path))
    package, more = check_files(
        files, expected_slug=Path(path).resolve().name, provider_name=provider_name
    )
    findings += more
    if any(f.level == "error" for f in findings):
        package = None
    return package, sort_findings(findings)


def _read_folder(folder: Path) -> tuple[dict[str, str], list[Finding]]:
    files: dict[str, str] = {}
    findings: list[Finding] = []
    if not folder.is_dir():
        findings.append(Finding("error", str(folder.name), 0, "not a folder"))
        return files, findings
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith("."):
            continue
        if not entry.is_file():
            findings.append(Finding("warning", entry.name, 0, "sub-folder ignored"))
            continue
        try:
            files[entry.name] = entry.read_bytes().decode("utf-8")
        except UnicodeDecodeError as exc:
            if _is_package_file(entry.name):
                findings.append(Finding("error", entry.name, 0, f"not valid UTF-8 text ({exc})"))
            else:
                # Its text is never used; an empty stand-in still gets the "ignored" warning.
                files[entry.name] = ""
    return files, findings


def _is_package_file(name: str) -> bool:
    return name in REQUIRED_FILES or name.endswith(".md")


def _load(
    files: Mapping[str, str], expected_slug: str | None
) -> tuple[CoursePackage | None, list[Finding]]:
    findings: list[Finding] = []
    lesson_names: list[str] = []
    for name in sorted(files):
        if name.startswith("."):  # editor and OS droppings such as .DS_Store
            continue
        if name in REQUIRED_FILES or name in NOTE_FILES:
            continue
        if name.endswith(".md"):
            if LESSON_NAME.match(name):
                lesson_names.append(name)
            else:
                # A misnamed lesson would otherwise vanish from the course without a word.
                findings.append(
                    Finding(
                        "error",
                        name,
                        0,
                        f"lesson file name `{name}` must look like "
                        "NN-slug.md (two digits, a dash, then a-z, 0-9 and dashes)",
                    )
                )
        else:
            findings.append(Finding("warning", name, 0, "not part of a course package; ignored"))
    for name in REQUIRED_FILES:
        if name not in files:
            findings.append(Finding("error", name, 0, "missing: every package needs this file"))
    for name in sorted(files):
        if "\x00" in files[name]:
            # PostgreSQL cannot store the NUL character; SQLite would, so refuse it here.
            line = files[name][: files[name].index("\x00")].count("\n") + 1
            findings.append(Finding("error", name, line, "contains a NUL character"))
    if not lesson_names:
        findings.append(Finding("error", COURSE_FILE, 0, "the package has no lesson files"))

    course_source = Source(COURSE_FILE, findings)
    manifest = parse_manifest(
        course_source,
        compose(files[COURSE_FILE], course_source) if COURSE_FILE in files else None,
        expected_slug,
    )
    objective_ids = {o.id for o in manifest.objectives} if manifest.objectives_ok else None

    lessons: list[Lesson] = []
    for position, name in enumerate(lesson_names, start=1):
        lesson = parse_lesson(name, files[name], position, Source(name, findings), objective_ids)
        if lesson is not None:
            lessons.append(lesson)
    post_test = _parse_post_test(files, findings, objective_ids)
    evaluation: tuple[EvaluationItem, ...] = ()
    if EVALUATION_FILE in files:
        source = Source(EVALUATION_FILE, findings)
        evaluation = parse_evaluation(
            source, compose(files[EVALUATION_FILE], source), objective_ids
        )
    _check_unique(findings, lessons, post_test)
    _check_unique_ids(findings, [(i.id, i.file, i.line) for i in evaluation], "evaluation item")

    if any(f.level == "error" for f in findings):
        return None, sort_findings(findings)
    used = (COURSE_FILE, *lesson_names, POST_TEST_FILE, EVALUATION_FILE)
    values = {
        f.name: getattr(manifest, f.name) for f in fields(manifest) if f.name != "objectives_ok"
    }
    package = CoursePackage(
        **values,
        lessons=tuple(lessons),
        post_test=post_test,
        evaluation=evaluation,
        files=MappingProxyType({name: files[name] for name in used}),
    )
    return package, sort_findings(findings)


def _parse_post_test(
    files: Mapping[str, str], findings: list[Finding], objective_ids: set[str] | None
) -> tuple[Question, ...]:
    if POST_TEST_FILE not in files:
        return ()
    source = Source(POST_TEST_FILE, findings)
    top = MapReader(source, compose(files[POST_TEST_FILE], source), POST_TEST_FILE, ("questions",))
    nodes = top.sequence("questions") if top.ok else None
    if nodes is not None and not nodes:
        source.error(top.line_of("questions"), "post-test.yaml: `questions` is empty")
    questions = (parse_question(source, node, True, objective_ids) for node in nodes or [])
    return tuple(q for q in questions if q is not None)


def _check_unique(
    findings: list[Finding], lessons: list[Lesson], post_test: tuple[Question, ...]
) -> None:
    slugs = [(lesson.slug, lesson.file, 1) for lesson in lessons]
    _check_unique_ids(findings, slugs, "lesson slug")
    # Checks and post-test share one id space: progress records are keyed by question id.
    questions = [q for lesson in lessons for q in lesson.checks] + list(post_test)
    _check_unique_ids(findings, [(q.id, q.file, q.line) for q in questions], "question id")


def _check_unique_ids(findings: list[Finding], ids: list[tuple[str, str, int]], what: str) -> None:
    first: dict[str, tuple[str, int]] = {}
    for item_id, file, line in ids:
        if not item_id:
            continue
        if item_id in first:
            where = "{}:{}".format(*first[item_id])
            findings.append(
                Finding("error", file, line, f"duplicate {what} `{item_id}` (first at {where})")
            )
        else:
            first[item_id] = (file, line)
