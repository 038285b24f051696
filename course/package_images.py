"""Images a course package shows that this site does not have: a warning where typed.

The package checker (``lessons``) knows only the package; whether ``/static/...`` is
there is the site's to say. A missing file shows learners a broken image with its alt
text, and no page says so.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import current_app
from werkzeug.security import safe_join

import lessons


def missing_image_findings(package: lessons.CoursePackage | None) -> list[lessons.Finding]:
    """A warning for each image address under /static/ that names no file of the site."""
    if package is None or current_app.static_folder is None:
        return []
    folder = current_app.static_folder
    found = []
    for file, line, address in lessons.image_addresses(package):
        path = unquote(urlsplit(address).path).removeprefix("/static/")
        if not _served(folder, path):
            found.append(lessons.Finding(
                "warning", file, line,
                f"the image {address} is not among this site's files, so learners see only "
                "its alt text: check the spelling, or ask whoever runs the site to add it "
                "to the static files",
            ))  # fmt: skip
    return found


def _served(folder: str, path: str) -> bool:
    """Whether the site's static route serves ``path``: joined as that route joins it.

    Joined plainly, "/static//etc/passwd" (or "%2F" for the slash) became an absolute
    path outside the folder, and the warning, or its absence, told an author which files
    the server holds; the static route serves such an address nothing.
    """
    joined = safe_join(folder, path)
    return joined is not None and Path(joined).is_file()

