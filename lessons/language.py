"""Person-first language lint: stigmatizing terms and the wording to use instead."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from .fences import find_fences
from .lessonfile import body_offset
from .manifest import COURSE_FILE
from .model import CoursePackage, Finding, Question
from .yamlpaths import text_values
from .yamlread import parse_nodes


@dataclass(frozen=True)
class Term:
    """A stigmatizing term (as a pattern) and the wording to prefer."""

    pattern: re.Pattern[str]
    preferred: str


def _term(words: str, preferred: str) -> Term:
    # Words may be split by any whitespace (line breaks in Markdown) or a hyphen, but a
    # hyphen or letter right outside the term means another word ("front-runner").
    body = words.replace(" ", r"[\s-]+")
    return Term(re.compile(rf"(?<![\w-])(?:{body})(?![\w-])", re.IGNORECASE), preferred)


# An age ("a 15-year-old prostitute") or "girl"/"boy" names a child as surely as "child".
_YOUNG = (
    r"(?:child|children|teen|teenage|juvenile|underage|minor|adolescent|young|girls?|boys?"
    r"|\d{1,2} years? old)"
)
_EXPLOITED = '"a child who is a victim of sex trafficking"'
_EXPLOITATION = '"child sex trafficking" or "commercial sexual exploitation of children"'
_MISSING = '"a youth with repeated missing episodes"'
_RUNS = '"a youth who runs" (or "youth who run")'

# Longer phrases come first: a span matched once is not matched again by a shorter term.
TERMS: tuple[Term, ...] = (
    _term(r"(?:chronic|habitual|serial) (?:runners?|runaways?)", _MISSING),
    _term(r"frequent fl[iy]ers?", _MISSING),
    _term(rf"{_YOUNG} prostitutes?", _EXPLOITED),
    _term(r"prostituted (?:child|children|youths?|teens?|girls?|boys?|minors?)", _EXPLOITED),
    _term(rf"{_YOUNG} sex workers?", _EXPLOITED),
    _term(rf"{_YOUNG} prostitution", _EXPLOITATION),
    _term(
        r"prostitution of (?:an? )?(?:child|children|minors?|youths?|teens?|juveniles?)",
        _EXPLOITATION,
    ),
    _term(
        rf"{_YOUNG} porn(?:ography)?",
        '"child sexual abuse material" (CSAM): the images record a crime against a child',
    ),
    _term(
        r"engag(?:e|es|ed|ing) in prostitution",
        '"a youth who was sexually exploited" or "a victim of sex trafficking"',
    ),
    _term(
        r"turn(?:s|ed|ing)? tricks?",
        '"a youth who is being sexually exploited" (a child is exploited, not working)',
    ),
    _term(
        r"underage (?:woman|women)",
        '"a girl" or "a child" (a person under 18 is a child, not a woman)',
    ),
    _term(r"street kids?", '"a youth experiencing homelessness"'),
    _term(
        r"willing participants?",
        '"a victim of exploitation" (a child cannot consent to commercial sex)',
    ),
    _term(r"runners?", _RUNS),
    _term(r"bolters?", _RUNS),
    _term(r"awol(?:ing|ed|s)?", '"missing from care"'),
    _term(
        r"abscond(?:ers?|ed|ing|s)?", '"missing from care" or "left placement without permission"'
    ),
    _term(r"placement failures?|failed placements?", '"placement disruption"'),
)

_EXEMPT = re.compile(
    r"<!--\s*language-to-avoid\s*-->.*?<!--\s*/language-to-avoid\s*-->", re.DOTALL | re.IGNORECASE
)
_EXEMPT_OPEN = re.compile(r"<!--\s*language-to-avoid\s*-->", re.IGNORECASE)
# Comments are never shown and URLs are not reading text ("/runners-guide" is not a label).
_HIDDEN = re.compile(r"<!--.*?-->|\]\([^)]*\)|<https?://[^>]*>|https?://\S+", re.DOTALL)


def _blank(match: re.Match[str]) -> str:
    # Keep newlines so offsets and line numbers stay those of the original text.
    return re.sub(r"[^\n]", " ", match.group())


def mask(text: str) -> str:
    """Blank out exempt passages, comments and URLs, keeping every character's position."""
    return _HIDDEN.sub(_blank, _EXEMPT.sub(_blank, text))


def find_terms(text: str) -> Iterator[tuple[re.Match[str], Term]]:
    """Stigmatizing terms in text (after masking), in order of appearance."""
    text = mask(text)
    taken: list[tuple[int, int]] = []
    hits: list[tuple[re.Match[str], Term]] = []
    for term in TERMS:
        for match in term.pattern.finditer(text):
            if not any(match.start() < end and start < match.end() for start, end in taken):
                taken.append(match.span())
                hits.append((match, term))
    return iter(sorted(hits, key=lambda hit: hit[0].start()))


def _message(match: re.Match[str], term: Term) -> str:
    found = " ".join(match.group().split())
    return f'stigmatizing language "{found}": use {term.preferred}'


class _Collector:
    """Gathers warnings once per file, line and term."""

    def __init__(self, package: CoursePackage) -> None:
        self.lines = {name: text.splitlines() for name, text in package.files.items()}
        self.findings: list[Finding] = []
        self.seen: set[tuple[str, int, str]] = set()

    def add(self, file: str, line: int, match: re.Match[str], term: Term) -> None:
        key = (file, line, match.group().lower())
        if key not in self.seen:
            self.seen.add(key)
            self.findings.append(Finding("warning", file, line, _message(match, term)))

    def scan_field(self, file: str, start: int, text: str) -> None:
        """Scan a YAML text value that begins at or after 1-based line `start`."""
        for match, term in find_terms(text):
            self.add(file, self._locate(file, start, match, term), match, term)

    def _locate(self, file: str, start: int, match: re.Match[str], term: Term) -> int:
        # The value's own line is known; the term may sit a few lines below it.
        lines = self.lines.get(file, [])
        for index in range(max(start - 1, 0), len(lines)):
            if any(
                m.group().lower() == match.group().lower()
                for m in term.pattern.finditer(lines[index])
            ):
                return index + 1
        return start


def language_findings(package: CoursePackage) -> list[Finding]:
    """Warnings for stigmatizing terms anywhere a learner reads text."""
    out = _Collector(package)
    for value, line in text_values(parse_nodes(package.files[COURSE_FILE])):
        out.scan_field(COURSE_FILE, line + 1, value)
    for lesson in package.lessons:
        text = package.files[lesson.file]
        out.scan_field(lesson.file, 1, lesson.title)
        _scan_body(out, lesson.file, text, lesson.markdown)
        _scan_questions(out, lesson.checks)
    _scan_questions(out, package.post_test)
    for item in package.evaluation:
        for value in (item.prompt, *item.choices):
            out.scan_field(item.file, item.line, value)
    return out.findings


def _scan_questions(out: _Collector, questions: tuple[Question, ...]) -> None:
    for question in questions:
        if question.language_example:  # quotes the terms on purpose
            continue
        texts = [question.prompt, question.explanation]
        texts += [t for choice in question.choices for t in (choice.text, choice.why)]
        for value in texts:
            out.scan_field(question.file, question.line, value)


def _scan_body(out: _Collector, file: str, text: str, body: str) -> None:
    offset = body_offset(text, body)
    lines = body.splitlines(keepends=True)
    # Check blocks are scanned as questions, where language_example can exempt them.
    for fence in find_fences(lines):
        if fence.is_check and fence.end is not None:
            for index in range(fence.start, fence.end + 1):
                lines[index] = "\n" if lines[index].endswith("\n") else ""
    visible = "".join(lines)
    for match, term in find_terms(visible):
        out.add(file, offset + visible.count("\n", 0, match.start()) + 1, match, term)
    unclosed = _EXEMPT_OPEN.search(_EXEMPT.sub(_blank, visible))
    if unclosed:
        line = offset + visible.count("\n", 0, unclosed.start()) + 1
        out.findings.append(
            Finding(
                "warning",
                file,
                line,
                "language-to-avoid passage has no closing <!-- /language-to-avoid -->",
            )
        )
