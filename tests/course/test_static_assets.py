"""The vendored design system is whole: every file its stylesheet names is shipped."""

from __future__ import annotations

import re
from pathlib import Path

STATIC = Path(__file__).resolve().parents[2] / "course" / "static"
#: Named by USWDS's stylesheet for components we do not use (see static/uswds/README.md).
LEFT_OUT = {"img/hero.jpg"}


def test_every_font_and_image_the_uswds_stylesheet_names_is_vendored() -> None:
    css = (STATIC / "uswds" / "css" / "uswds.min.css").read_text(encoding="utf-8")
    named = {m.split("?")[0].split("#")[0] for m in re.findall(r"url\(\.\./([^)\"']+)\)", css)}
    assert len(named) > 40, "the stylesheet should name its fonts and icons"
    missing = sorted(n for n in named - LEFT_OUT if not (STATIC / "uswds" / n).is_file())
    assert not missing
    assert (STATIC / "uswds" / "LICENSE.md").is_file()


def test_the_site_stylesheet_fetches_nothing_from_elsewhere(client) -> None:
    css = (STATIC / "css" / "site.css").read_text(encoding="utf-8")
    assert "@import" not in css and "http" not in css
    page = client.get("/").get_data(as_text=True)
    assert re.findall(r'(?:src|href)="(https?:)', page) == []


def test_every_page_names_an_icon_that_is_served(client) -> None:
    # Without one, browsers ask for /favicon.ico on every page and get a 404.
    for path in ("/", "/verify", "/auth/login"):
        page = client.get(path).get_data(as_text=True)
        icon = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', page)
        assert icon, path
    with client.get(icon.group(1)) as response:
        assert response.status_code == 200 and response.mimetype == "image/svg+xml"
        assert response.get_data(as_text=True).startswith("<svg")
