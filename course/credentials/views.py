"""What other systems read here: DID document, status lists, badges, xAPI extension terms."""

from __future__ import annotations

import json

from flask import Response, abort, render_template, request

from course.credentials import bp
from course.credentials import services as credentials
from course.outbox.xapi import extension_description
from course.provider import base_url
from course.security import KEYS_MAX_AGE


def _public_json(document: dict, mimetype: str, max_age: int, name: str) -> Response:
    response = Response(json.dumps(document, indent=2, ensure_ascii=False), mimetype=mimetype)
    # A file for programs, never a page: a browser saves it rather than render it here.
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'

    # Verifiers running in a browser (wallets, verifier pages) fetch these from other sites.
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = f"public, max-age={max_age}"
    return response


@bp.get("/.well-known/did.json")
@bp.get("/did.json")
def did_document():
    """The issuer's did:web document: its name, home page and every signing key."""
    # Short: a verifier holding a copy from before a key rotation refuses what the new key
    # signed until its copy expires.
    return _public_json(credentials.did_document(), "application/did+json", KEYS_MAX_AGE,
                        "did.json")


@bp.get("/credentials/status/<int:number>")
def status_list(number: int):
    """A signed Bitstring Status List: bit set = credential revoked or replaced."""
    document = credentials.status_list(number)
    if document is None:
        abort(404)
    # Verifiers may cache a list this long: a revocation reaches them within 5 minutes.
    return _public_json(document, "application/vc+ld+json", 300, f"status-list-{number}.json")


@bp.get("/xapi/extensions/<name>")
def xapi_extension(name: str):
    """What one of this site's xAPI extension IRIs means, for a registry reading it."""
    document = extension_description(base_url(), name)
    if document is None:
        abort(404)
    response = _public_json(document, "application/json", 86400, f"{name}.json")
    del response.headers["Content-Disposition"]  # read in a browser too: it is short
    return response


@bp.get("/credentials/badges/<slug>.svg")
def badge(slug: str):
    """The badge image of a course (of one version, with ``?version=N``), shown by wallets
    beside the credential."""
    found = credentials.badge_of(slug, request.args.get("version", type=int))
    if found is None:
        abort(404)
    course, manifest = found
    svg = render_template("credentials/badge.svg", course=course, manifest=manifest)
    response = Response(svg, mimetype="image/svg+xml")
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response
