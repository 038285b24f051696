"""What every learner page must meet at every width: reflow, target sizes, a focus ring
that contrasts, and no axe-core violation of any impact. Screenshots for a person."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from browser_kit import axe_run
from playwright.sync_api import Page

HERE = Path(__file__).resolve().parent
WIDTHS = (320, 768, 1280)
SCREENSHOT_WIDTHS = (320, 1280)
#: Kept out of git (see the README): look at them after a change.
SCREENSHOTS = Path(os.environ.get("SCREENSHOT_DIR", HERE / "screenshots"))
#: The pages' full-length photographs are for a person, not a check, and cost a quarter of
#: a page audit's time: taken only when asked for (``SCREENSHOTS=1 make test``).
TAKE_SCREENSHOTS = os.environ.get("SCREENSHOTS", "") not in ("", "0")
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]



def _function(name: str) -> str:
    """Return the arrow function a .js file beside this one holds, without its comments."""
    lines = (HERE / name).read_text(encoding="utf-8").splitlines()
    body = "\n".join(line for line in lines if not line.startswith("//")).strip()
    return body.removeprefix("(").removesuffix(")")


_MEASURE = _function("audit_measure.js")
_FOCUS = _function("audit_focus.js")


def measure(page: Page) -> list[str]:
    """Return the reflow and target-size problems of the page as it is laid out now."""
    return page.evaluate(_MEASURE)


def focus_rings(page: Page) -> list[str]:
    """Return the controls whose focus ring is missing or below 3:1 against its background."""
    page.keyboard.press("Tab")  # from here on, focus shows as it does for the keyboard
    result = page.evaluate(_FOCUS)
    assert result["checked"], "no control on the page took focus"
    return result["problems"]


def audit(page: Page, name: str, problems: dict[str, list[str]]) -> None:
    """Check the page at each width; collect what fails under ``name@width``."""
    page.wait_for_load_state("load")  # stylesheets and fonts in, or sizes are the browser's
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        found = measure(page) + focus_rings(page)
        violations = axe_run(page, AXE_TAGS)
        found += [f"axe {v['id']} ({v['impact']}): {v['help']} at {v['nodes']}" for v in violations]
        if width in SCREENSHOT_WIDTHS:
            photograph(page, f"{name}-{width}.png", full_page=True)
        if found:
            problems[f"{name}@{width}"] = found
    page.set_viewport_size({"width": 1280, "height": 900})


def snapshot(page: Page, name: str) -> None:
    """Photograph the page at each screenshot width (no checks), then go back to 1280 px."""
    if not TAKE_SCREENSHOTS:
        return
    page.wait_for_load_state("load")
    for width in SCREENSHOT_WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        photograph(page, f"{name}-{width}.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def photograph(page: Page, file_name: str, **options: Any) -> None:
    """Save a screenshot of the page under ``SCREENSHOTS``, when screenshots are asked for."""
    if TAKE_SCREENSHOTS:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / file_name), **options)


def report(problems: dict[str, Any]) -> str:
    """Format the collected problems for an assertion message."""
    return json.dumps(problems, indent=2)
