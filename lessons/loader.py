"""Loading and checking whole course packages, from a folder or a name -> text mapping."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from types import MappingProxyType

from .evaluation import EVALUATION_FILE, parse_evaluation
from .lessonfile import LESSON_NAME, parse_lesson
from .limits import (
    CHECK_SECONDS,
    MAX_FILE_BYTES,
    MAX_FILES,
    MAX_PACKAGE_BYTES,
    Deadline,
    size_problem,
)
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
TOO_MANY_BYTES = f"the package files add up to more than {MAX_PACKAGE_BYTES // 1024 // 1024} MB"


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
    files: Mapping[str, str],
    *,
    expected_slug: str | None = None,
    provider_name: str = "",
    issues_credit: bool = False,
    seconds: float = CHECK_SECONDS,
) -> tuple[CoursePackage | None, list[Finding]]:
    """Schema and lint findings for file name -> text; the package is None on schema errors.

    Checking stops with an error once it has taken ``seconds`` (see ``lessons.limits``).
    """
    # provider_name, issues_credit: what the deployment offers (see rules.lint).
    deadline = Deadline(seconds)
    package, findings = _load(files, expected_slug, deadline)
    if package is not None:
        if deadline.passed():
            findings.append(Finding("error", COURSE_FILE, 1, deadline.message()))
            return None, sort_findings(findings)
        findings += lint(package, provider_name=provider_name, issues_credit=issues_credit)
        findings += timing_findings(package)
    return package, sort_findings(findings)


def check_package(
    path: str | os.PathLike[str], *, provider_name: str = "", issues_credit: bool = False
) -> tuple[CoursePackage | None, list[Finding]]:
    """Schema and lint findings for a package folder."""
    files, findings = _read_folder(Path(path))
    if any(f.level == "error" for f in findings):
        # A file that could not be read is not part of the package the CE rules would
        # judge: its reading time and objectives would be missing, so they wait.
        package, more = _load(files, Path(path).resolve().name)
    else:
        package, more = check_files(
            files, expected_slug=Path(path).resolve().name, provider_name=provider_name,
            issues_credit=issues_credit,
        )
    findings += more
    if any(f.level == "error" for f in findings):
        package = None
    return package, sort_findings(findings)


def _read_folder(folder: Path) -> tuple[dict[str, str], list[Finding]]:
    """The package files of a folder, read as a ZIP upload is: links refused, no sub-folders,
    nothing read that is not part of a package, and the same size limits."""
    files: dict[str, str] = {}
    findings: list[Finding] = []
    if folder.is_symlink() or not folder.is_dir():
        findings.append(Finding("error", str(folder.name), 0, "not a folder (links are refused)"))
        return files, findings
    entries = sorted(folder.iterdir())
    if len(entries) > MAX_FILES:
        message = f"the folder holds {len(entries)} entries; a package has at most {MAX_FILES}"
        return files, [Finding("error", COURSE_FILE, 0, message)]
    total = 0
    for entry in entries:
        if entry.is_symlink():
            # A link could point at any file the importing user can read.
            findings.append(Finding("error", entry.name, 0, "is a link; links are refused"))
            continue
        if entry.name.startswith("."):
            continue
        if not entry.is_file():
            findings.append(Finding("warning", entry.name, 0, "sub-folder ignored"))
            continue
        if not _is_package_file(entry.name):
            # Never read: a stray file may be huge. The empty stand-in gets its warning.
            files[entry.name] = ""
            continue
        with entry.open("rb") as handle:
            # At most one byte over the limit: enough to refuse, whatever the file's size.
            raw = handle.read(MAX_FILE_BYTES + 1)
        total += len(raw)
        if len(raw) > MAX_FILE_BYTES:
            problem = size_problem(entry.stat().st_size, raw.decode("utf-8", "replace"))
            findings.append(Finding("error", entry.name, *problem))  # type: ignore[misc]
        elif total > MAX_PACKAGE_BYTES:
            findings.append(Finding("error", entry.name, 0, TOO_MANY_BYTES))
            break
        else:
            try:
                files[entry.name] = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                findings.append(Finding("error", entry.name, *not_utf8(raw, exc)))
                # Kept with the bad bytes replaced, so the file is not reported missing
                # nor its objectives untaught: the error above already holds up the package.
                files[entry.name] = raw.decode("utf-8", "replace")
    return files, findings


def not_utf8(raw: bytes, exc: UnicodeDecodeError) -> tuple[int, str]:
    """The line of a file's first byte that is not UTF-8, and what to do about it."""
    line = raw[: exc.start].count(b"\n") + 1
    return line, (
        f"not valid UTF-8 text: byte 0x{raw[exc.start]:02x} on this line is not UTF-8 "
        "(the file was probably saved as Windows-1252 or Latin-1): save it again with "
        "the encoding UTF-8"
    )


def _is_package_file(name: str) -> bool:
    return name in REQUIRED_FILES or name.endswith(".md")


def _limit_findings(files: Mapping[str, str]) -> list[Finding]:
    """Errors for a package over the limits on files and bytes (``lessons.limits``)."""
    if len(files) > MAX_FILES:
        message = f"the package holds {len(files)} files; it may have at most {MAX_FILES}"
        return [Finding("error", COURSE_FILE, 0, message)]
    findings, total = [], 0
    for name in sorted(files):
        size = len(files[name].encode("utf-8", "surrogatepass"))
        total += size
        problem = size_problem(size, files[name])
        if problem is not None:
            findings.append(Finding("error", name, *problem))
    if total > MAX_PACKAGE_BYTES:
        findings.append(Finding("error", COURSE_FILE, 0, TOO_MANY_BYTES))
    return findings


def _load(
    files: Mapping[str, str], expected_slug: str | None, deadline: Deadline | None = None
) -> tuple[CoursePackage | None, list[Finding]]:
    deadline = deadline or Deadline()
    findings = _limit_findings(files)
    if findings:  # nothing is parsed: the limits are what keeps parsing quick
        return None, sort_findings(findings)
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
        if deadline.passed():
            findings.append(Finding("error", name, 1, deadline.message()))
            return None, sort_findings(findings)
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
            new_name = "slug" if what.endswith("slug") else "id"
            findings.append(Finding(
                "error", file, line,
                f"duplicate {what} `{item_id}` (first at {where}): give this one a new {new_name}",
            ))  # fmt: skip
        else:
            first[item_id] = (file, line)
