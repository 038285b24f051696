from __future__ import annotations

from browser_kit import sign_in
from test_browser_staff_pages import _admin_and_an_author


def test_shots(browser, live_server) -> None:
    email, _ = _admin_and_an_author(live_server)
    slug = live_server.real_slug or live_server.slug
    for width in (320, 1280):
        page = browser.new_page(viewport={"width": width, "height": 900})
        sign_in(page, live_server, email)
        page.goto(f"{live_server.url}/author/courses/{slug}/settings")
        page.fill("#objectives-1-id", "bad id!")
        page.fill("#max_attempts", "3")
        page.click("button[value=save]")
        page.locator("#max_attempts").scroll_into_view_if_needed()
        page.screenshot(path=f"/tmp/pgx/shots/settings-pt-{width}.png", full_page=False)
        page.locator("#objectives-1-id").scroll_into_view_if_needed()
        page.screenshot(path=f"/tmp/pgx/shots/settings-obj-{width}.png", full_page=False)
        print(page.locator("#objectives-1-id").evaluate("e => e.outerHTML"))
        page.close()
