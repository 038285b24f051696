"""What the sanitizer drops from questions and the advisory is a warning at its line."""

from __future__ import annotations

from lessons_testkit import edited, line_of, minimal_files, warnings

import lessons

OFF_SITE = (
    "is not shown to learners (they see its alt text): images come only from the site's own "
    "files, so use an address under /static/ and ask whoever runs the site to add the file there"
)


def _dropped(files: dict[str, str]) -> list[tuple[str, int, str]]:
    _, findings = lessons.check_files(files)
    return [(f.file, f.line, f.message) for f in warnings(findings)
            if "not shown to learners" in f.message or "plain words" in f.message]


def test_html_and_outside_images_in_questions_and_the_advisory_are_named_at_their_line():
    files = edited(minimal_files(), "01-push-pull.md", "prompt: Which of these is a *pull* factor?",
                   "prompt: Which of these is a <u>pull</u> factor?")
    files = edited(files, "post-test.yaml",
                   "explanation: Pull factors draw a youth toward someone or something.",
                   "explanation: |\n      Pull factors draw a youth toward someone.\n\n"
                   "      <center>See the chart</center> ![Chart](https://x.example/c.png)")
    files = edited(files, "course.yaml", "advisory: |\n",
                   "advisory: |\n  <iframe src=\"https://x.example\"></iframe>\n")
    found = _dropped(files)
    # Learners lose the underline, the centered words' tag, the image and the frame without
    # a word from the sanitizer: each is named where the author typed it.
    post = files["post-test.yaml"]
    assert found == [
        ("01-push-pull.md", line_of(files["01-push-pull.md"], "<u>pull</u>"),
         "HTML <u> is not shown to learners: this text is Markdown, and only a few HTML tags "
         "pass (to show a tag as text, put it in `backticks`)"),
        ("course.yaml", line_of(files["course.yaml"], "<iframe"),
         "HTML <iframe> is not shown to learners: this text is Markdown, and only a few HTML "
         "tags pass (to show a tag as text, put it in `backticks`)"),
        ("post-test.yaml", line_of(post, "<center>"),
         "the image https://x.example/c.png " + OFF_SITE),
        ("post-test.yaml", line_of(post, "<center>"),
         "HTML <center> is not shown to learners: this text is Markdown, and only a few HTML "
         "tags pass (to show a tag as text, put it in `backticks`)"),
    ]


def test_markdown_and_allowed_html_in_questions_give_no_such_warning():
    files = edited(minimal_files(), "01-push-pull.md", "prompt: Which of these is a *pull* factor?",
                   "prompt: Which of these is a <em>pull</em> factor? Write `<u>` as code.")
    assert _dropped(files) == []
    assert _dropped(minimal_files()) == []


def test_fenced_code_in_an_explanation_or_the_advisory_is_shown_as_written():
    # Fenced code reaches learners as code, tags and addresses printed as typed: nothing
    # is dropped, so nothing is to be warned of (a lesson's prose skips its fences too).
    fenced = ("```\n      <div>a tag</div> [run](javascript:go) ![](https://x.example/c.png)"
              "\n      ```")
    files = edited(minimal_files(), "post-test.yaml",
                   "explanation: Pull factors draw a youth toward someone or something.",
                   f"explanation: |\n      Pull factors draw a youth toward someone.\n\n"
                   f"      {fenced}\n")
    files = edited(files, "course.yaml", "advisory: |\n",
                   "advisory: |\n  ```\n  <iframe src=\"https://x.example\"></iframe>\n  ```\n")
    assert _dropped(files) == []


def test_an_image_in_backticks_is_code_not_an_image():
    # `![](photo.png)` shows the Markdown itself: no image without alt text, none from
    # elsewhere, as tags and links in backticks are not warned of either.
    code = "Write `![](https://x.example/c.png)` for a picture."
    files = edited(minimal_files(), "01-push-pull.md", "prompt: Which of these is a *pull* factor?",
                   f"prompt: Which of these is a *pull* factor? {code}")
    files = edited(files, "01-push-pull.md", "\n\n", f"\n\n{code}\n\n")
    _, findings = lessons.check_files(files)
    assert [f for f in findings if "image" in f.message] == []


def test_html_in_a_folded_explanation_is_named_at_its_paragraph():
    # YAML joins a folded value's lines, so no file line holds the joined text.
    files = edited(minimal_files(), "post-test.yaml",
                   "explanation: Pull factors draw a youth toward someone or something.",
                   "explanation: >\n      Pull factors draw a youth\n      toward <u>someone</u>.")
    found = _dropped(files)
    assert [(file, line) for file, line, _ in found] == [
        ("post-test.yaml", line_of(files["post-test.yaml"], "Pull factors draw a youth"))]
