"""A certificate code on a page: what the eye sees, and what a screen reader says."""

from __future__ import annotations

from course.templating import certificate_code


def test_a_code_ending_in_punctuation_is_shown_as_is_and_read_with_its_symbol_named() -> None:
    shown = str(certificate_code("45ZQ-HJ4J-WSXQ-WEAP-~"))
    assert shown == ('<code><span aria-hidden="true">45ZQ-HJ4J-WSXQ-WEAP-~</span>'
                     '<span class="visually-hidden code-spoken">'
                     '45ZQ-HJ4J-WSXQ-WEAP, check symbol tilde</span></code>')


def test_a_code_of_letters_and_digits_is_plain_code_and_escaped() -> None:
    assert str(certificate_code("7K3M-Q9XD-2HTP-W4RB-5")) == "<code>7K3M-Q9XD-2HTP-W4RB-5</code>"
    assert str(certificate_code("<b>")) == "<code>&lt;b&gt;</code>"
