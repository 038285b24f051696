"""Course packages as ZIP files: read an upload safely, write a download."""

from __future__ import annotations

import io
import re
import stat
import zipfile
from collections.abc import Mapping

from lessons.limits import MAX_FILE_BYTES, MAX_FILES, MAX_PACKAGE_BYTES
from lessons.loader import not_utf8

COURSE_FILE = "course.yaml"
# The checker's limits: what it would refuse is not worth unpacking or storing.
MAX_TOTAL_BYTES = MAX_PACKAGE_BYTES
# A fixed timestamp makes the same files give the same ZIP.
_ZIP_TIME = (2020, 1, 1, 0, 0, 0)
_DRIVE = re.compile(r"^[A-Za-z]:")
_IGNORED_FOLDERS = ("__MACOSX",)


class ZipRefused(ValueError):
    """An uploaded ZIP is not a course package this app will read; the message says why."""


def _parts(name: str) -> list[str]:
    """The path parts of a ZIP entry name; refuses names that could leave the folder."""
    if "\\" in name or "\x00" in name or name.startswith("/") or _DRIVE.match(name):
        raise ZipRefused(f"The ZIP holds an unsafe file name: {name!r}.")
    parts = name.rstrip("/").split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise ZipRefused(f"The ZIP holds an unsafe file name: {name!r}.")
    return parts


def _skipped(parts: list[str]) -> bool:
    return parts[0] in _IGNORED_FOLDERS or any(part.startswith(".") for part in parts)


def read_package_zip(
    data: bytes, *, max_files: int = MAX_FILES, max_bytes: int = MAX_TOTAL_BYTES
) -> dict[str, str]:
    """The package files in a ZIP, with course.yaml at its root or in one folder.

    :raise ZipRefused: for anything else: not a ZIP, path traversal, links, sub-folders,
        too many files or bytes, encrypted entries, text that is not UTF-8.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError) as exc:
        raise ZipRefused("The file is not a ZIP archive.") from exc
    with archive:
        entries = archive.infolist()
        if len(entries) > max_files:
            raise ZipRefused(
                f"The ZIP holds {len(entries)} entries; a package has at most {max_files}."
            )
        wanted: list[tuple[zipfile.ZipInfo, list[str]]] = []
        for info in entries:
            parts = _parts(info.filename)
            if stat.S_ISLNK(info.external_attr >> 16):
                raise ZipRefused(f"The ZIP holds a link, {info.filename!r}; links are not allowed.")
            if info.is_dir() or _skipped(parts):
                continue
            if info.flag_bits & 0x1:
                raise ZipRefused(
                    f"{info.filename!r} is encrypted; upload a ZIP without a password."
                )
            if len(parts) > 2:
                # Most often the folder around the course's folder was zipped (content/).
                raise ZipRefused(
                    f"{info.filename!r} is in a sub-folder; a package is one folder of files, "
                    "with course.yaml at the top of the ZIP or in its one folder: ZIP the "
                    "course's own folder (or its files), not a folder around it."
                )
            wanted.append((info, parts))
        folders = {parts[0] for _, parts in wanted if len(parts) == 2}
        at_root = [parts for _, parts in wanted if len(parts) == 1]
        if len(folders) > 1 or (folders and at_root):
            raise ZipRefused(
                "Put the package files at the top of the ZIP or in one folder, not in several."
            )
        if sum(info.file_size for info, _ in wanted) > max_bytes:
            raise ZipRefused(f"The unpacked files are larger than {max_bytes // 1024 // 1024} MB.")
        files: dict[str, str] = {}
        budget = max_bytes
        for info, parts in wanted:
            name = parts[-1]
            if name in files:
                raise ZipRefused(f"The ZIP holds {name!r} twice.")
            if info.file_size > MAX_FILE_BYTES:
                raise ZipRefused(_too_big(name, info.file_size))
            with archive.open(info) as handle:
                # Never trust the sizes in the ZIP's directory: read at most what is left.
                raw = handle.read(budget + 1)
            budget -= len(raw)
            if budget < 0:
                raise ZipRefused(
                    f"The unpacked files are larger than {max_bytes // 1024 // 1024} MB."
                )
            if len(raw) > MAX_FILE_BYTES:  # the directory said less than the file holds
                raise ZipRefused(_too_big(name, len(raw)))
            try:
                files[name] = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                # The line lets an author find a character their editor saved as Latin-1.
                line, why = not_utf8(raw, exc)
                raise ZipRefused(f"{name!r}, line {line}: {why}.") from exc
    if COURSE_FILE not in files:
        raise ZipRefused("The ZIP has no course.yaml at its top or in its one folder.")
    return files


def _too_big(name: str, size: int) -> str:
    return (
        f"{name!r} is {size // 1024} KB unpacked; a package file may have at most "
        f"{MAX_FILE_BYTES // 1024} KB. Split a long lesson into several."
    )


def write_package_zip(slug: str, files: Mapping[str, str]) -> bytes:
    """A ZIP of the package in one folder named after its slug, as content/ holds it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(f"{slug}/{name}", date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[name].encode("utf-8"))
    return buffer.getvalue()
