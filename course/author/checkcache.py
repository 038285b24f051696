"""The checker's findings kept per package state, so author pages do not re-run it.

Checking a whole course takes a quarter of a second or more; every author page shows its
findings. A draft revision's files never change, so its findings are computed once per
process and looked up by a hash of the files (a restore that brings back earlier files
finds them again). Previews of unsaved text are checked too and share the same bound.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Mapping

import lessons
from course.package_images import missing_image_findings
from course.provider import current_provider

Checked = tuple[lessons.CoursePackage | None, tuple[lessons.Finding, ...]]

#: How many package states one process keeps (a course is ~1 MB parsed).
MAX_ENTRIES = 32

_entries: OrderedDict[str, Checked] = OrderedDict()
_lock = threading.Lock()


def files_key(files: Mapping[str, str], slug: str | None, provider: str = "") -> str:
    """A hash naming one state of a package (slug, provider, every file's name and text)."""
    digest = hashlib.sha256((slug or "").encode() + b"\0" + provider.encode())
    for name in sorted(files):
        digest.update(b"\0" + name.encode() + b"\0" + files[name].encode())
    return digest.hexdigest()


def check(
    files: Mapping[str, str], slug: str | None
) -> tuple[lessons.CoursePackage | None, list[lessons.Finding]]:
    """``lessons.check_files`` for these files, computed once per state of the package."""
    provider = current_provider()
    # An approval claim needs a provider to be named; a real one's certificates carry credit.
    key = files_key(files, slug, f"{provider.name}\0{provider.configured}")
    with _lock:
        hit = _entries.get(key)
        if hit is not None:
            _entries.move_to_end(key)
    if hit is None:
        package, findings = lessons.check_files(files, expected_slug=slug,
                                                provider_name=provider.name,
                                                issues_credit=provider.configured)
        findings = lessons.sort_findings(findings + missing_image_findings(package))
        hit = (package, tuple(findings))
        with _lock:
            _entries[key] = hit
            while len(_entries) > MAX_ENTRIES:
                _entries.popitem(last=False)
    return hit[0], list(hit[1])


def clear() -> None:
    """Forget every kept result (tests that measure a cold check)."""
    with _lock:
        _entries.clear()
