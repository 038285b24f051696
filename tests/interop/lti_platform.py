"""An LTI 1.3 platform played by the tests: its own RSA key, a real HTTP server on loopback.

It serves what a real LMS does for a tool: its JWKS, the OIDC authorization endpoint
(answering with the auto-posting form that carries the signed id_token), an OAuth 2
token endpoint that checks the tool's signed client assertion, a line item's scores
endpoint that records every score it is sent, the line items container (list,
filtered as the spec says, and create) for a launch that names no line item, and a
deep linking return URL that takes only a response the tool's keyset verifies.
"""

from __future__ import annotations

import html
import json
import re
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from tests.rsa_keys import fresh_rsa_key

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
LINEITEM_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"


@dataclass
class PlayedPlatform:
    """The platform's state: its key, what the next launch says, and what it received."""

    client_id: str = "ce-tool-client"
    deployment_id: str = "deployment-1"
    key: rsa.RSAPrivateKey = field(default_factory=fresh_rsa_key)
    kid: str = field(default_factory=lambda: secrets.token_hex(8))
    url: str = ""
    tool_jwks: dict[str, Any] | None = None
    #: Claims changed or added (None removes one) for the next id_token.
    overrides: dict[str, Any] = field(default_factory=dict)
    scores: list[dict[str, Any]] = field(default_factory=list)
    token_requests: list[dict[str, Any]] = field(default_factory=list)
    #: Access tokens handed out, with the scopes each one grants.
    tokens: dict[str, set[str]] = field(default_factory=dict)
    #: Line items the tool created in the container, as the platform stores them.
    line_items: list[dict[str, Any]] = field(default_factory=list)
    #: Some platforms ignore the container's filters, and page it (Link rel="next").
    filters_container: bool = True
    container_page_size: int | None = None
    #: Set when a line items or score request arrives. While ``hold`` is set the
    #: platform answers such requests only once ``release`` is (a slow LMS; it gives up
    #: waiting after ten seconds).
    ags_request: threading.Event = field(default_factory=threading.Event)
    hold: bool = False
    release: threading.Event = field(default_factory=threading.Event)
    down: bool = False
    #: The platform's course (context) whose container the launches name.
    context: int = 7
    #: A fixed audience its token endpoint wants (as D2L Brightspace); None: the token URL.
    token_audience: str | None = None
    #: The scopes its token endpoint grants the tool (None: every AGS scope); asked for
    #: more, it answers invalid_scope, as one whose admin turned the tool's AGS off.
    grantable: set[str] | None = None
    #: Deep linking responses taken at the return URL (their verified claims), and why
    #: any other was refused.
    deep_links: list[dict[str, Any]] = field(default_factory=list)
    deep_link_refusals: list[str] = field(default_factory=list)

    def slow_answer(self) -> None:
        """Note an AGS request; while holding, wait for the test to release it."""
        self.ags_request.set()
        if self.hold:
            self.release.wait(timeout=10)

    @property
    def issuer(self) -> str:
        return self.url

    @property
    def lineitem(self) -> str:
        return f"{self.url}/courses/{self.context}/lineitems/42?type=ce"

    @property
    def lineitems(self) -> str:
        return f"{self.url}/courses/{self.context}/lineitems"

    @property
    def deep_link_return(self) -> str:
        return f"{self.url}/deep-link-return?course={self.context}"

    def deep_linking_request(self, **settings: Any) -> dict[str, Any]:
        """The claims that make the next id_token a teacher's deep linking request, as
        Moodle 4.3 sends when an External tool activity is added with no URL."""
        return {
            LTI + "message_type": "LtiDeepLinkingRequest", LTI + "resource_link": None,
            LTI + "roles": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"],
            DL + "deep_linking_settings": {
                "deep_link_return_url": self.deep_link_return,
                "accept_types": ["ltiResourceLink"],
                "accept_presentation_document_targets": ["iframe", "window"],
                "accept_lineitem": True, "accept_multiple": False, "auto_create": True,
                "data": "moodle-section-3", **settings},
            AGS: {"scope": [SCORE_SCOPE, LINEITEM_SCOPE], "lineitems": self.lineitems},
        }

    def take_deep_link(self, response: str) -> dict[str, Any]:
        """Verify a deep linking response as a platform does: the tool's key by its kid
        from the tool's keyset, this platform as audience, its client id as issuer."""
        keys = {k["kid"]: k for k in (self.tool_jwks or {}).get("keys", [])}
        kid = jwt.get_unverified_header(response)["kid"]
        key = RSAAlgorithm.from_jwk(json.dumps(keys[kid]))
        claims = jwt.decode(response, key, algorithms=["RS256"], audience=self.issuer,
                            issuer=self.client_id,
                            options={"require": ["iss", "aud", "iat", "exp", "nonce"]})
        assert claims[LTI + "message_type"] == "LtiDeepLinkingResponse"
        assert claims[LTI + "version"] == "1.3.0"
        assert claims[LTI + "deployment_id"] == self.deployment_id
        assert all(claims["nonce"] != taken["nonce"] for taken in self.deep_links)
        return claims

    def registration(self) -> dict[str, Any]:
        """What an admin types into the tool to register this platform."""
        return {"name": "Agency Moodle", "issuer": self.issuer, "client_id": self.client_id,
                "deployment_ids": [self.deployment_id], "auth_login_url": f"{self.url}/auth",
                "auth_token_url": f"{self.url}/token", "jwks_url": f"{self.url}/jwks",
                "active": True}

    def jwks(self) -> dict[str, Any]:
        jwk = RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        jwk.pop("key_ops", None)  # as an LMS publishes it: use, not key_ops as well
        return {"keys": [{**jwk, "kid": self.kid, "alg": "RS256", "use": "sig"}]}

    def id_token(self, *, nonce: str, sub: str, target: str, **claims: Any) -> str:
        """Sign an id_token for a resource-link launch, as the platform would."""
        now = int(time.time())
        body: dict[str, Any] = {
            "iss": self.issuer, "aud": self.client_id, "sub": sub, "nonce": nonce,
            "iat": now, "exp": now + 300, "name": "Jordan Rivera",
            "email": "jordan.rivera@agency.example",
            LTI + "message_type": "LtiResourceLinkRequest", LTI + "version": "1.3.0",
            LTI + "deployment_id": self.deployment_id, LTI + "target_link_uri": target,
            LTI + "resource_link": {"id": "resource-link-1", "title": "Youth who run"},
            LTI + "roles": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"],
            AGS: {"scope": [SCORE_SCOPE], "lineitem": self.lineitem},
        }
        body.update(claims)
        body.update(self.overrides)
        body = {k: v for k, v in body.items() if v is not None}
        return jwt.encode(body, self.key, algorithm="RS256", headers={"kid": self.kid})


def _handler(platform: PlayedPlatform) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # quiet test output
            pass

        def _reply(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, document: Any) -> None:
            self._reply(status, json.dumps(document).encode(), "application/json")

        def do_GET(self) -> None:  # noqa: N802
            parts = urlsplit(self.path)
            if platform.down:
                return self._json(503, {"error": "down"})
            if parts.path == "/jwks":
                return self._json(200, platform.jwks())
            if parts.path == "/auth":
                return self._authorize({k: v[0] for k, v in parse_qs(parts.query).items()})
            if parts.path == urlsplit(platform.lineitems).path:
                return self._list_line_items({k: v[0] for k, v in parse_qs(parts.query).items()})
            if parts.path == urlsplit(platform.lineitems).path + "/page":
                return self._list_line_items({"page": parts.query})
            return self._json(404, {})

        def _granted(self, scope: str) -> bool:
            bearer = self.headers.get("Authorization", "").removeprefix("Bearer ")
            return scope in platform.tokens.get(bearer, set())

        def _list_line_items(self, query: dict[str, str]) -> None:
            if not self._granted(LINEITEM_SCOPE):
                return self._json(401, {"error": "invalid_token"})
            platform.slow_answer()
            found = [item for item in platform.line_items
                     if item["id"].startswith(platform.lineitems + "/")  # this context's
                     and (not platform.filters_container
                     or all(item.get(key) == query[arg] for arg, key in
                            (("resource_link_id", "resourceLinkId"), ("tag", "tag"))
                            if arg in query))]
            size = platform.container_page_size or len(found) or 1
            start = int(query.get("page") or 0)
            body = json.dumps(found[start : start + size]).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/vnd.ims.lis.v2.lineitemcontainer+json")
            if start + size < len(found):
                self.send_header("Link", f'<{platform.lineitems}/page?{start + size}>; rel="next"')
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _create_line_item(self, raw: bytes) -> None:
            if not self._granted(LINEITEM_SCOPE):
                return self._json(401, {"error": "invalid_token"})
            if self.headers.get("Content-Type") != "application/vnd.ims.lis.v2.lineitem+json":
                return self._json(415, {})
            item = json.loads(raw)
            assert item["scoreMaximum"] > 0 and item["label"]
            item["id"] = f"{platform.lineitems}/{100 + len(platform.line_items)}"
            platform.line_items.append(item)
            self._reply(201, json.dumps(item).encode(),
                        "application/vnd.ims.lis.v2.lineitem+json")

        def _authorize(self, query: dict[str, str]) -> None:
            assert query["client_id"] == platform.client_id
            assert query["response_type"] == "id_token" and query["scope"] == "openid"
            assert query["response_mode"] == "form_post" and query["prompt"] == "none"
            sub = query["login_hint"]
            token = platform.id_token(nonce=query["nonce"], sub=sub,
                                      target=query.get("lti_message_hint") or "")
            form = (
                f'<form method="post" action="{html.escape(query["redirect_uri"])}">'
                f'<input type="hidden" name="id_token" value="{token}">'
                f'<input type="hidden" name="state" value="{html.escape(query["state"])}">'
                "</form>"
            )
            self._reply(200, form.encode(), "text/html")

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            if platform.down:
                return self._json(503, {"error": "down"})
            path = urlsplit(self.path).path
            if path == "/token":
                return self._token({k: v[0] for k, v in parse_qs(raw.decode()).items()})
            if path == urlsplit(platform.deep_link_return).path:
                return self._deep_link_return(raw)
            if path.endswith("/scores"):
                return self._score(raw)
            if path == urlsplit(platform.lineitems).path:
                return self._create_line_item(raw)
            return self._json(404, {})

        def _token(self, form: dict[str, str]) -> None:
            platform.token_requests.append(form)
            assertion = form["client_assertion"]
            header = jwt.get_unverified_header(assertion)
            keys = {k["kid"]: k for k in (platform.tool_jwks or {}).get("keys", [])}
            key = RSAAlgorithm.from_jwk(json.dumps(keys[header["kid"]]))
            try:
                claims = jwt.decode(assertion, key, algorithms=["RS256"],
                                    audience=platform.token_audience or f"{platform.url}/token")
            except jwt.InvalidAudienceError:
                return self._json(401, {"error": "invalid_client",
                                        "error_description": "wrong audience"})
            if not claims["iss"] == claims["sub"] == platform.client_id:
                # What a platform answers a tool it does not know (RFC 6749 5.2).
                return self._json(401, {"error": "invalid_client",
                                        "error_description": "unknown client"})
            assert form["grant_type"] == "client_credentials"
            scopes = set(form["scope"].split())
            assert scopes and scopes <= {SCORE_SCOPE, LINEITEM_SCOPE}, form["scope"]
            if platform.grantable is not None and not scopes <= platform.grantable:
                return self._json(400, {"error": "invalid_scope",
                                        "error_description": "scope not allowed"})
            token = secrets.token_urlsafe(16)
            platform.tokens[token] = scopes
            self._json(200, {"access_token": token, "token_type": "Bearer",
                             "expires_in": 3600, "scope": form["scope"]})

        def _deep_link_return(self, raw: bytes) -> None:
            form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
            try:
                platform.deep_links.append(platform.take_deep_link(form["JWT"]))
            except (KeyError, AssertionError, jwt.PyJWTError) as exc:
                platform.deep_link_refusals.append(repr(exc))
                return self._reply(400, b"<p>The tool's response was refused.</p>", "text/html")
            self._reply(200, b"<p>Content added.</p>", "text/html")

        def _score(self, raw: bytes) -> None:
            if not self._granted(SCORE_SCOPE):
                return self._json(401, {"error": "invalid_token"})
            platform.slow_answer()
            if self.headers.get("Content-Type") != "application/vnd.ims.lis.v1.score+json":
                return self._json(415, {})
            items = [platform.lineitem] + [item["id"] for item in platform.line_items]
            if not any(self.path.startswith(urlsplit(item).path + "/scores")
                       and urlsplit(item).query in self.path for item in items):
                return self._json(404, {})
            platform.scores.append({**json.loads(raw), "lineitem": self.path.split("/scores")[0]})
            self._json(200, {"resultUrl": f"{platform.url}/results/{uuid.uuid4()}"})

    return Handler


def start(platform: PlayedPlatform) -> tuple[ThreadingHTTPServer, threading.Thread]:
    """Serve the platform on a free loopback port; its url is filled in."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(platform))
    platform.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread


def auto_post_form(page: str) -> dict[str, str]:
    """Return the fields of the platform's auto-posting form (what the browser submits)."""
    return dict(re.findall(r'name="(id_token|state)" value="([^"]*)"', page))
