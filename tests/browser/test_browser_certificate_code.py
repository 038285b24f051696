"""A certificate code ending in punctuation: copied as shown, read with its symbol named."""

from __future__ import annotations


def test_a_copied_code_holds_what_the_eye_sees_and_a_screen_reader_hears_the_symbol(
    browser, live_server
) -> None:
    from course.templating import certificate_code  # once the app is built: import order

    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(live_server.url + "/verify")  # any page: the site's own stylesheet
        markup = str(certificate_code("45ZQ-HJ4J-WSXQ-WEAP-~"))
        page.evaluate("(html) => { document.querySelector('main').innerHTML = "
                      "'<p id=code-line>Code: ' + html + '</p>'; }", markup)
        copied = page.evaluate("""() => {
            const range = document.createRange();
            range.selectNodeContents(document.getElementById('code-line'));
            getSelection().removeAllRanges();
            getSelection().addRange(range);
            return getSelection().toString();
        }""")
        assert copied == "Code: 45ZQ-HJ4J-WSXQ-WEAP-~"
        assert "45ZQ-HJ4J-WSXQ-WEAP, check symbol tilde" in page.locator("code").aria_snapshot()
    finally:
        context.close()
