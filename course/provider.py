"""The CE provider that issues credit: a deployment setting, checked when the app starts.

The provider's name, contact for corrections, time zone and signatory come from
environment variables (README, "Configuration"), never from a course package. Until a
real provider is named (one not marked ``PROVIDER_DEMO``), every certificate is a sample
and says so in words. Certificates copy what they print from here when they are issued,
so changing a setting later never alters an issued certificate.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask, current_app

from course.config import SettingError
from course.wording import and_list

#: Printed on every certificate, page and credential while no real provider is set.
SAMPLE_NOTICE = "Sample, not valid for continuing-education credit"
#: The name printed when neither the deployment nor the package names a provider.
NO_PROVIDER = "No provider named"
DEFAULT_TIME_ZONE = "America/Chicago"
#: A signature scan larger than this is almost certainly the wrong file.
MAX_SIGNATURE_BYTES = 512 * 1024
_IMAGE_MAGIC = {b"\x89PNG\r\n\x1a\n": "PNG", b"\xff\xd8\xff": "JPEG"}


@dataclass(frozen=True)
class Provider:
    """Who issues the credit, as the deploying organization configured it."""

    name: str
    contact: str
    time_zone: str
    #: The provider's own page on how to make a complaint (a grievance) or ask for an
    #: accommodation for a disability ("" when not set).
    policies_url: str
    signatory_name: str
    signatory_title: str
    signature_image: bytes | None
    demo: bool

    @property
    def configured(self) -> bool:
        """True once a real provider is named: certificates then stop being samples."""
        return bool(self.name) and not self.demo

    @property
    def zone(self) -> ZoneInfo:
        """The provider's time zone, in which completion dates are stated."""
        return ZoneInfo(self.time_zone)


#: The deployment guide's example values: copied unchanged into a real deployment's
#: settings, they would print on every certificate that carries credit, or head and
#: sign every email learners get.
GUIDE_EXAMPLES = {
    "SITE_NAME": "Lakeshore Institute CE",
    "MAIL_FROM": "ce@example.org",
    "PROVIDER_NAME": "Lakeshore Institute for Continuing Education",
    "PROVIDER_CONTACT": "ce@example.org",
    "PROVIDER_POLICIES_URL": "https://www.example.org/ce-policies",
    "CERT_SIGNATORY_NAME": "Jordan Rivera, LCSW",
}


def init_app(app: Flask) -> None:
    """Read and check the provider settings; refuse to start on a value that cannot work.

    :raise SettingError: naming the setting to fix (time zone, signature image, or a
        production ``BASE_URL`` that is not an https:// address).
    """
    config = app.config
    check_base_url(config)
    app.extensions["ce_provider"] = Provider(
        name=_text(config, "PROVIDER_NAME"),
        contact=_text(config, "PROVIDER_CONTACT"),
        policies_url=_policies_url(_text(config, "PROVIDER_POLICIES_URL")),
        time_zone=_time_zone(_text(config, "PROVIDER_TIMEZONE") or DEFAULT_TIME_ZONE),
        signatory_name=_text(config, "CERT_SIGNATORY_NAME"),
        signatory_title=_text(config, "CERT_SIGNATORY_TITLE"),
        signature_image=_signature_image(_text(config, "CERT_SIGNATURE_IMAGE")),
        demo=bool(config.get("PROVIDER_DEMO")),
    )
    provider = app.extensions["ce_provider"]
    if config.get("ENV_NAME") != "production":
        return
    # All of them at once: one named at a time takes a restart for each.
    copied = [f"{name} ({example!r})" for name, example in GUIDE_EXAMPLES.items()
              if _text(config, name) == example]
    if copied:
        raise SettingError(
            f"{and_list(copied)} "
            + ("is the deployment guide's example" if len(copied) == 1
               else "are the deployment guide's examples")
            + ": set your provider's own, which learners see on every certificate or email"
        )
    if not provider.configured:
        app.logger.warning(
            "No real CE provider is set (PROVIDER_NAME%s): every certificate says %r.",
            ", and PROVIDER_DEMO is on" if provider.demo else "",
            SAMPLE_NOTICE,
        )
    elif not provider.policies_url:
        # ASWB's ACE program asks an approved provider for a grievance policy; a learner
        # with a complaint or needing an accommodation should not have to hunt for it.
        app.logger.warning(
            "PROVIDER_POLICIES_URL is not set: course pages link to no policy on complaints "
            "(grievances) or accommodations from %s. Set it to the page that has them.",
            provider.name,
        )
    if provider.configured and not provider.signatory_name:
        # A board reads an unnamed signature line as an unsigned certificate.
        app.logger.warning(
            "CERT_SIGNATORY_NAME is not set: certificates from %s print a signature line "
            "with nobody named under it. Name the person who signs for the provider.",
            provider.name,
        )


def current_provider() -> Provider:
    """Return the running app's provider settings."""
    return current_app.extensions["ce_provider"]


def base_url() -> str:
    """The site's public address (``BASE_URL``) without a trailing slash, to append paths to."""
    return current_app.config["BASE_URL"].rstrip("/")


def check_base_url(config: Any) -> None:
    """Refuse a production start whose ``BASE_URL`` is not a public https:// address.

    Certificates print this address and encode it in their QR code, so a wrong one
    sends every licensing board that checks a certificate to the wrong place.

    :raise SettingError: naming BASE_URL and what it should look like.
    """
    if config.get("ENV_NAME") != "production":
        return
    url = (config.get("BASE_URL") or "").strip()
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        shown = f"it is {url!r}" if url else "it is not set"
        raise SettingError(
            "BASE_URL must be the public https:// address of this site in production "
            f"({shown}); certificates print it and their QR codes point at it. "
            "Set it, for example: BASE_URL=https://ce.example.org"
        )


def _text(config: Any, name: str) -> str:
    return " ".join(str(config.get(name) or "").split())


def _policies_url(url: str) -> str:
    parts = urlsplit(url)
    if url and (parts.scheme not in ("http", "https") or not parts.hostname):
        raise SettingError(
            f"PROVIDER_POLICIES_URL {url!r} is not a web address; set the full address of "
            "the provider's page on complaints and accommodations, for example "
            "https://www.example.org/ce-policies"
        )
    return url


def _time_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise SettingError(
            f"PROVIDER_TIMEZONE {name!r} is not an IANA time zone name; use one such as "
            "America/Chicago, America/New_York or America/Los_Angeles"
        ) from exc
    return name


def _signature_image(path: str) -> bytes | None:
    if not path:
        return None
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise SettingError(f"CERT_SIGNATURE_IMAGE {path!r} cannot be read: {exc}") from exc
    if not any(data.startswith(magic) for magic in _IMAGE_MAGIC):
        raise SettingError(f"CERT_SIGNATURE_IMAGE {path!r} must be a PNG or JPEG image")
    if len(data) > MAX_SIGNATURE_BYTES:
        raise SettingError(
            f"CERT_SIGNATURE_IMAGE {path!r} is {len(data):,} bytes; use a scan under "
            f"{MAX_SIGNATURE_BYTES // 1024} KB"
        )
    return data
