"""An administrator narrows the roster and audit pack to a version and period, in chromium,
with the report page's plain GET form, and reads why a bad period is refused."""

from __future__ import annotations

import zipfile
from pathlib import Path

from browser_kit import PASSWORD, assert_accessible, new_learner, sign_in
from playwright.sync_api import expect

from course.extensions import db
from course.models import Role
from course.users import create_user


def _admin(server) -> str:
    name, email = new_learner()
    with server.app.app_context():
        create_user(email=email, password=PASSWORD, full_name=name, role=Role.ADMIN)
        db.session.commit()
        db.session.remove()
    return email


def test_the_report_form_downloads_a_roster_and_pack_of_a_version_and_period(
    browser, live_server
):
    server = live_server
    context = browser.new_context(accept_downloads=True)
    try:
        page = context.new_page()
        sign_in(page, server, _admin(server))
        page.goto(f"{server.url}/admin/courses/{server.slug}/report")
        form = page.locator("form.audit-scope-form")
        expect(form.get_by_label("Version")).to_contain_text("Version 1")
        assert_accessible(page, "course report with the audit scope form")

        form.get_by_label("Version").select_option("1")
        form.get_by_label("Completed from").fill("2026-01-01")
        form.get_by_label("Completed to (inclusive)").fill("2026-12-31")
        with page.expect_download() as roster:
            form.get_by_role("button", name="Download roster (CSV)").click()
        assert roster.value.suggested_filename == (
            f"roster-{server.slug}-v1-s2026-01-01-e2026-12-31.csv"
        )
        body = Path(roster.value.path()).read_bytes()
        assert body.startswith(b"\xef\xbb\xbf")  # the byte-order mark Excel looks for
        header = body.decode("utf-8-sig").splitlines()[0]
        assert "course_version" in header and "score,passing_score" in header
        assert "active_minutes,estimated_minutes" in header

        with page.expect_download() as pack:
            form.get_by_role("button", name="Download audit pack (ZIP)").click()
        with zipfile.ZipFile(pack.value.path()) as archive:
            assert "package/v1/course.yaml" in archive.namelist()
            assert "version 1, completed from January 1, 2026 to December 31, 2026" in (
                archive.read("README.txt").decode()
            )

        page.goto(f"{server.url}/admin/courses/{server.slug}/report")
        form.get_by_label("Completed from").fill("2026-03-01")
        form.get_by_label("Completed to (inclusive)").fill("2026-02-01")
        form.get_by_role("button", name="Download roster (CSV)").click()
        expect(page.locator("main")).to_contain_text("The end date is before the start date.")
    finally:
        context.close()
