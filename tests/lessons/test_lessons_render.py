"""Markdown features the engine supports, and the ones it leaves out on purpose."""

from __future__ import annotations

from lessons_testkit import edited, line_of, minimal_files

import lessons
from lessons import render_inline, render_markdown
from lessons.render import count_words, html_text


def test_tables_without_inline_style() -> None:
    html = render_markdown("| Left | Right |\n|:-----|------:|\n| a | b |\n")
    assert "<table>" in html and "<th>Left</th>" in html and "<td>b</td>" in html
    assert "style" not in html and "align" not in html


def test_fenced_code_keeps_text_and_drops_class() -> None:
    html = render_markdown("```python\nx = 1 < 2\n```\n")
    assert html == "<pre><code>x = 1 &lt; 2\n</code></pre>"


def test_heading_ids() -> None:
    html = render_markdown("## Push and pull\n\n### Push and pull\n")
    assert html == (
        '<h2 id="section-push-and-pull">Push and pull</h2>\n'
        '<h3 id="section-push-and-pull_1">Push and pull</h3>'
    )


def test_authored_ids_and_in_page_links_share_their_own_prefix() -> None:
    # Headings named like the page's own parts must not take their ids.
    html = render_markdown(
        "## Support\n\nSee [below](#support), [the top](#) or"
        ' [elsewhere](https://example.org/#main).\n\n<h3 id="session-warning">Raw</h3>\n'
    )
    assert '<h2 id="section-support">' in html and 'href="#section-support"' in html
    assert 'href="#"' in html and 'href="https://example.org/#main"' in html
    assert '<h3 id="section-session-warning">' in html
    assert 'id="support"' not in html and 'id="session-warning"' not in html


def test_an_in_page_link_to_a_one_letter_heading_reaches_it() -> None:
    # Only a bare "#" (the top of the page) keeps its address; "#a" is a heading's like
    # "#support" is, and left as it was it would lead nowhere.
    html = render_markdown("## A\n\nSee [part A](#a) or [the top](#).")
    assert '<h2 id="section-a">A</h2>' in html and 'href="#section-a"' in html
    assert 'href="#"' in html


def test_sane_lists_do_not_merge_list_types() -> None:
    html = render_markdown("1. one\n2. two\n\n* a\n* b\n")
    assert html.count("<ol>") == 1 and html.count("<ul>") == 1


def test_comments_are_stripped() -> None:
    assert (
        render_markdown("Text <!-- secret note --> more\n\n<!-- block -->\n") == "<p>Text  more</p>"
    )


def test_attr_list_and_md_in_html_are_off() -> None:
    assert render_markdown("## Title {: #custom .cls }") == (
        '<h2 id="section-title-custom-cls">Title {: #custom .cls }</h2>'
    )
    html = render_markdown('<div markdown="1">\n**not bold**\n</div>')
    assert "<strong>" not in html and "div" not in html


def test_h1_is_not_allowed() -> None:
    # The lesson title is the page's h1; a body h1 keeps its text but loses the tag.
    assert render_markdown("# Big") == "Big"


def test_render_inline_unwraps_one_paragraph_only() -> None:
    assert render_inline("A *pull* factor") == "A <em>pull</em> factor"
    assert render_inline("One.\n\nTwo.") == "<p>One.</p>\n<p>Two.</p>"
    assert render_inline("- a\n- b") == "<ul>\n<li>a</li>\n<li>b</li>\n</ul>"
    assert render_inline("") == ""


def test_text_is_escaped() -> None:
    assert render_inline("5 < 6 & 7 > 3") == "5 &lt; 6 &amp; 7 &gt; 3"


def test_h1_in_a_lesson_is_a_warning() -> None:
    files = minimal_files()
    files = edited(files, "01-push-pull.md", "## Push factors", "# Push factors")
    files = edited(
        files, "01-push-pull.md", "## Pull factors\n", "## Pull factors\n\n```\n# code\n```\n"
    )
    _, findings = lessons.check_files(files)
    assert lessons.Finding(
        "warning", "01-push-pull.md", line_of(files["01-push-pull.md"], "# Push factors"),
        "start headings at ## (the lesson title is the page's h1)",
    ) in findings  # fmt: skip
    assert len([f for f in findings if "headings" in f.message]) == 1


def test_a_second_front_matter_block_is_a_warning() -> None:
    # A whole lesson file pasted into the editor's text: learners would read its front
    # matter as a rule and a heading, "title: ... objectives: [LO1]".
    files = minimal_files()
    text = files["01-push-pull.md"]
    front = text[: text.index("---", 3) + 4]
    files["01-push-pull.md"] = front + "\n" + text
    _, findings = lessons.check_files(files)
    second = [f for f in findings if "second front matter" in f.message]
    assert [(f.level, f.line) for f in second] == [("warning", front.count("\n") + 2)]
    # A rule at the top of a lesson, followed by text, is not front matter.
    files = edited(minimal_files(), "01-push-pull.md", "Youth leave placement",
                   "---\n\nYouth leave: placement\n\n---\n\nYouth leave placement")
    assert not [f for f in lessons.check_files(files)[1] if "front matter" in f.message]


def _findings_with(added: str) -> tuple[str, list[lessons.Finding]]:
    """The first lesson's text with ``added`` after a heading, and the checker's findings."""
    files = edited(minimal_files(), "01-push-pull.md", "## Pull factors\n",
                   "## Pull factors\n\n" + added)
    return files["01-push-pull.md"], lessons.check_files(files)[1]


def test_raw_html_the_sanitizer_drops_is_a_warning_on_its_line() -> None:
    text, findings = _findings_with(
        "<script>alert(1)</script> and <marquee>this</marquee>\n\n"
        "Kept: <abbr title=\"Runaway and Homeless Youth\">RHY</abbr>, `<div>` in code,"
        " <https://example.org> and <help@example.org>.\n")
    raw = [f for f in findings if "is not shown to learners" in f.message]
    assert [(f.level, f.line) for f in raw] == [("warning", line_of(text, "<script>"))]
    assert raw[0].message.startswith("HTML <marquee>, <script> is not shown to learners")


def test_images_load_only_from_the_sites_static_files() -> None:
    # An image is fetched unasked: pointing one at a page of the site would open that page
    # (another course's post-test, say) for every reader.
    html = render_markdown(
        "![a](/courses/other/post-test) ![b](/static/img/map.png) ![c](https://example.org/c.png)"
        " ![d](/static/../courses/other/certificate) ![e](/static/%2E%2E/admin)"
        ' <img alt="f" src="certificate">'
    )
    # Only the static file's image stays; the others show their words, not a broken box.
    assert html == ('<p>a <img alt="b" src="/static/img/map.png"> c d e f</p>')


def test_an_image_learners_will_not_see_is_a_warning_on_its_line() -> None:
    text, findings = _findings_with(
        "![A chart](https://example.org/chart.png)\n\n"
        '<img alt="A map" src="/courses/minimal/post-test">\n\n![Kept](/static/img/ok.png)\n')
    shown = [(f.line, f.message) for f in findings if "is not shown to learners" in f.message]
    assert shown == [
        (line_of(text, "chart.png"), "the image https://example.org/chart.png "
         "is not shown to learners (they see its alt text): images come only from the site's"
         " own files, so use an address under /static/ and ask whoever runs the site to add"
         " the file there"),
        (line_of(text, "post-test"), "the image /courses/minimal/post-test "
         "is not shown to learners (they see its alt text): images come only from the site's"
         " own files, so use an address under /static/ and ask whoever runs the site to add"
         " the file there"),
    ]


def test_a_link_to_a_script_or_data_address_is_a_warning_on_its_line() -> None:
    text, findings = _findings_with(
        "[Click me](javascript:alert(2)) and <a href=\"JavaScript:alert(3)\">raw</a>\n\n"
        "[data](data:text/html,hi), kept: [site](https://example.org), [mail](mailto:a@b.org),"
        " [here](#pull-factors) and `[code](javascript:x)`\n")
    dead = [(f.level, f.line, f.message) for f in findings if "plain words" in f.message]
    assert dead == [
        ("warning", line_of(text, "Click me"), "a link to a javascript: address is shown to "
         "learners as plain words, not a link: use an https:// address (or mailto: or tel:)"),
        ("warning", line_of(text, "[data]"), "a link to a data: address is shown to "
         "learners as plain words, not a link: use an https:// address (or mailto: or tel:)"),
    ]


def test_every_kind_of_text_the_allowlist_keeps_reaches_learners_as_written() -> None:
    # Sub-headings, quotes, line breaks, rules, table heads, definition lists and phone
    # links were in no test: dropping one from the allowlist would have flattened lessons
    # (a quote read as the author's own words, a hotline number or an http:// site no
    # longer a link).
    html = render_markdown(
        "#### Four\n##### Five\n###### Six\n\n> A youth's words\n\nOne  \ntwo\n\n---\n\n"
        "| Sign | Meaning |\n|---|---|\n| A | B |\n\n"
        "<dl><dt>RHY</dt><dd>Runaway and Homeless Youth</dd></dl>\n\n"
        '<span>x</span> H<sub>2</sub>O x<sup>2</sup> <abbr title="Child Welfare">CW</abbr>'
        ' [call](tel:+18883737888 "Hotline") [mail](mailto:a@b.org) ![map](/static/m.png "Map")'
        " [old](http://example.org)\n\n"
        "<textarea>typed answer</textarea><noscript>Turn on scripts</noscript>"
        "<iframe>Your browser shows no frames</iframe>"
        '<p class="big" style="color:red">styled</p>\n'
    )
    assert html == (
        '<h4 id="section-four">Four</h4>\n<h5 id="section-five">Five</h5>\n'
        '<h6 id="section-six">Six</h6>\n<blockquote>\n<p>A youth\'s words</p>\n</blockquote>\n'
        "<p>One<br>\ntwo</p>\n<hr>\n<table>\n<thead>\n<tr>\n<th>Sign</th>\n<th>Meaning</th>\n"
        "</tr>\n</thead>\n<tbody>\n<tr>\n<td>A</td>\n<td>B</td>\n</tr>\n</tbody>\n</table>\n"
        "<dl><dt>RHY</dt><dd>Runaway and Homeless Youth</dd></dl>\n\n"
        '<p><span>x</span> H<sub>2</sub>O x<sup>2</sup> <abbr title="Child Welfare">CW</abbr>'
        ' <a href="tel:+18883737888" title="Hotline" rel="noopener noreferrer">call</a>'
        ' <a href="mailto:a@b.org" rel="noopener noreferrer">mail</a>'
        ' <img alt="map" src="/static/m.png" title="Map">'
        ' <a href="http://example.org" rel="noopener noreferrer">old</a></p>\n\n\n\n'
        # A text box's, a no-script note's or a frame's words are not reading text; class
        # and style never reach the page.
        "<p>styled</p>"
    )


def test_words_in_neighboring_cells_and_lines_count_apart_for_the_reading_estimate() -> None:
    # A table written as HTML has nothing between its cells, nor a line break between its
    # lines: "Runaway</td><td>youth" counted as one word would shorten the estimate.
    html = render_markdown(
        "<table><tr><td>Runaway</td><td>youth</td></tr></table>\n\nOne<br>two<br>three"
    )
    assert html_text(html).split() == ["Runaway", "youth", "One", "two", "three"]
    assert count_words(html_text(html)) == 5
