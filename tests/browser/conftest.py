"""Browser tests: the app on a live loopback server, driven by Debian's chromium.

Every test in this folder is marked ``browser`` and skips, saying why, when chromium
or the Playwright package is missing. Playwright only drives the browser found on this
machine; it never downloads one.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

import lessons
from course import create_app
from course.extensions import db
from course.mail import sender_for
from course.packages import import_package
from tests.smtp_sink import Inbox, smtp_server

HERE = Path(__file__).resolve().parent
REAL_COURSE = HERE.parent.parent / "content" / "running-behavior"
DEFAULT_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    """Return the chromium to launch: $CHROMIUM_PATH, Debian's, or one on the PATH."""
    for candidate in (os.environ.get("CHROMIUM_PATH"), DEFAULT_CHROMIUM, shutil.which("chromium")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def _skip_reason() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "browser tests need the playwright package (pip install -e '.[test]')"
    if chromium_path() is None:
        return (
            f"browser tests need chromium: {DEFAULT_CHROMIUM} not found "
            "(apt-get install chromium, or set CHROMIUM_PATH)"
        )
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test in this folder ``browser``; skip them all without a browser."""
    reason = _skip_reason()
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.browser)
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))


@dataclass(frozen=True)
class LiveServer:
    """The app served on loopback, its database and the imported test course."""

    url: str
    app: Flask
    slug: str
    title: str
    #: The real course from content/, when it is there: long lessons, tables, hotlines.
    real_slug: str | None = None
    #: The SMTP server on loopback that receives what the app emails (sign-up links).
    inbox: Inbox | None = None


def journey_package(source: Path, target: Path) -> Path:
    """Copy a course package, dropping its minimum reading time and retake wait, so a
    journey can run fast."""
    shutil.copytree(source, target)
    manifest = target / "course.yaml"
    text = manifest.read_text(encoding="utf-8")
    assert "min_active_minutes: 20" in text, "the minimal package changed; update this helper"
    text = text.replace("min_active_minutes: 20", "min_active_minutes: 0")
    # A failed post-test may be retaken at once (by default a learner waits ten minutes).
    block = "post_test:\n  draw: 10\n"
    assert block in text, "the minimal package changed; update this helper"
    manifest.write_text(text.replace(block, block + "  retake_wait_minutes: 0\n"), "utf-8")
    return target


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Serve the app on a free loopback port with CSRF on, the minimal and the real course."""
    root = tmp_path_factory.mktemp("browser")
    source = HERE.parent / "data" / "packages" / "minimal"
    package = journey_package(source, root / "content" / "minimal")
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{root / 'browser.db'}",
            "SECRET_KEY": secrets.token_urlsafe(32),
            "WTF_CSRF_ENABLED": True,
            "RATELIMIT_ENABLED": False,
            "CONTENT_DIR": str(root / "content"),
        }
    )
    with app.app_context():
        db.create_all()
        result = import_package(lessons.load_package(package))
        db.session.commit()
        slug, title = result.course.slug, result.course.title
        real_slug = None
        if REAL_COURSE.is_dir():
            real_slug = import_package(lessons.load_package(REAL_COURSE)).course.slug
            db.session.commit()
        db.session.remove()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    inbox = Inbox()
    try:
        with smtp_server(inbox) as port:
            app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
            url = f"http://127.0.0.1:{server.server_port}"
            yield LiveServer(url, app, slug, title, real_slug, inbox)
            sender_for(app).stop()
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One headless chromium for the session; each test opens its own context."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()
