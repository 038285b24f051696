"""The tool's Canvas developer key configuration, read by Canvas's "Enter URL" method."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from course.lti.ags import LINEITEM_SCOPE, SCORE_SCOPE

#: Where a Canvas teacher picks the tool: a module's External Tool item, and an
#: assignment's External Tool submission; both send a deep linking request.
PLACEMENTS = ("link_selection", "assignment_selection")


def configuration(base_url: str, site_name: str) -> dict[str, Any]:
    """Return the LTI 1.3 JSON configuration for a Canvas developer key."""
    base = base_url.rstrip("/")
    launch = f"{base}/lti/launch"
    return {
        "title": site_name,
        "description": ("Continuing-education courses with contact-hour certificates. "
                        "Post-test scores and completions go back to the gradebook."),
        "oidc_initiation_url": f"{base}/lti/login",
        "target_link_uri": launch,
        "public_jwk_url": f"{base}/lti/jwks.json",
        "scopes": [SCORE_SCOPE, LINEITEM_SCOPE],
        "extensions": [{
            "platform": "canvas.instructure.com",
            "domain": urlsplit(base).netloc,
            "tool_id": "ce-course-engine",
            # The learner's name goes on the certificate; the email address is not used.
            "privacy_level": "name_only",
            "settings": {
                "text": site_name,
                "placements": [
                    # A new tab: a course shown inside Canvas's page is refused.
                    {"placement": placement, "message_type": "LtiDeepLinkingRequest",
                     "target_link_uri": launch, "text": f"{site_name}: add a course",
                     "windowTarget": "_blank"}
                    for placement in PLACEMENTS],
            },
        }],
        "custom_fields": {},
    }
