"""A cookie-keeping HTTP client for live servers, and the small HTML form parser it uses.

The live tests (several learners against gunicorn, nginx and PostgreSQL) drive the app
over real HTTP like a browser without JavaScript: they follow redirects hop by hop, keep
cookies, post the forms they find on pages, and retry as a person reloading would.
"""

from __future__ import annotations

import http.client
import re
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from html import unescape
from html.parser import HTMLParser
from http.cookiejar import CookieJar
from urllib.parse import urlencode, urljoin, urlsplit

# -- HTML forms --------------------------------------------------------------------------


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self._open: Form | None = None
        self.labels: dict[str, str] = {}
        self._label: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form":
            # A browser never sends an action's #fragment; it only scrolls to it after.
            self._open = Form(values.get("action", "").split("#", 1)[0], [])
            self.forms.append(self._open)
        elif tag in {"input", "textarea", "select"} and self._open and values.get("name"):
            self._open.fields.append({"tag": tag, **values})
        elif tag == "button" and self._open and values.get("formaction"):
            # A button that sends its form elsewhere (a lesson's knowledge check).
            self._open.actions.append(values["formaction"].split("#", 1)[0])
        elif tag == "label" and values.get("for"):
            self._label = values["for"]
            self.labels[self._label] = ""

    def handle_data(self, data: str) -> None:
        if self._label is not None:
            self.labels[self._label] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._open = None
        elif tag == "label":
            self._label = None


@dataclass
class Form:
    """A form on a page: its action and its named fields (attributes as dicts)."""

    action: str
    fields: list[dict[str, str]]
    #: where its buttons with a formaction send it
    actions: list[str] = field(default_factory=list)

    def value(self, name: str) -> str:
        return next(f.get("value", "") for f in self.fields if f["name"] == name)

    def with_value(self, name: str, value: str) -> Form:
        fields = [{**f, "value": value} if f["name"] == name else f for f in self.fields]
        return Form(self.action, fields, self.actions)

    def names(self, prefix: str) -> list[str]:
        return list(dict.fromkeys(f["name"] for f in self.fields if f["name"].startswith(prefix)))

    def values_labelled(self, name: str, labels: Collection[str]) -> list[str]:
        """The values of the ``name`` inputs whose labels read as one of ``labels``.

        Choices send their position on the page, not a key: a learner picks by what the
        label says, and so does this.
        """
        wanted = {" ".join(label.split()) for label in labels}
        return [f["value"] for f in self.fields if f["name"] == name and f.get("label") in wanted]


def label_text(html: str) -> str:
    """How a choice's HTML reads in its label: tags dropped, entities decoded, spaces tidied."""
    return " ".join(unescape(re.sub(r"<[^>]+>", "", html)).split())


def forms_in(page: str) -> list[Form]:
    """Return the forms of an HTML page (each input with its label's text, if it has one)."""
    parser = _FormParser()
    parser.feed(page)
    for form in parser.forms:
        for item in form.fields:
            if item.get("id") in parser.labels:
                item["label"] = " ".join(parser.labels[item["id"]].split())
    return parser.forms


@dataclass
class Page:
    """A response as the client saw it, after following redirects."""

    status: int
    url: str
    body: str
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    def form(self, action_ends: str) -> Form:
        return next(f for f in forms_in(self.body) if f.action.endswith(action_ends))


# -- a browser-like HTTP client ------------------------------------------------------------

#: What a dropped connection looks like to urllib: the browser would show an error page.
CONNECTION_ERRORS = (
    ConnectionError,
    http.client.RemoteDisconnected,
    http.client.IncompleteRead,
    urllib.error.URLError,
    TimeoutError,
)
#: Gateway statuses a reverse proxy returns while a server restarts: try again.
RETRY_STATUSES = frozenset({502, 503, 504})
REDIRECTS = frozenset({301, 302, 303, 307, 308})


class _SeenHeaders(urllib.request.BaseHandler):
    """Record a header of every response, redirects included."""

    handler_order = 100

    def __init__(self, name: str, seen: list[str]) -> None:
        self.name, self.seen = name, seen

    def http_response(self, request, response):
        value = response.headers.get(self.name)
        if value:
            self.seen.append(value)
        return response


class _StayPut(urllib.request.HTTPRedirectHandler):
    """Hand redirects back to the Browser, which follows them one hop at a time."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class Browser:
    """One person's browser: a cookie jar, redirects, and a retry when a connection drops.

    Redirects are followed hop by hop, so a retry repeats the request that failed, as a
    browser's reload does: the very same form (same fields, so the same
    ``submission_key``) when the POST failed, the page it led to when the redirect failed.
    """

    def __init__(self, base_url: str, *, retries: int = 0, track_header: str | None = None):
        self.base_url = base_url
        self.retries = retries
        self.requests = 0
        self.retried = 0
        self.connection_errors = 0
        self.statuses: Counter[int] = Counter()
        self.seen: list[str] = []
        handlers: list[urllib.request.BaseHandler] = [
            urllib.request.HTTPCookieProcessor(CookieJar()),
            _StayPut(),
        ]
        if track_header:
            handlers.append(_SeenHeaders(track_header, self.seen))
        self.opener = urllib.request.build_opener(*handlers)

    def request(
        self,
        path: str,
        data: list[tuple[str, str]] | None = None,
        *,
        follow: bool = True,
        **headers: str,
    ) -> Page:
        """Send a GET (or a POST with form ``data``) and follow redirects to a page."""
        status, url, raw, response_headers = self.fetch(path, data, follow=follow, **headers)
        return Page(status, url, raw.decode(errors="replace"), response_headers)

    def get_bytes(self, path: str) -> tuple[int, bytes, dict[str, str]]:
        """GET a download (e.g. a PDF): status, bytes and headers."""
        status, _url, raw, headers = self.fetch(path)
        return status, raw, headers

    def fetch(
        self,
        path: str,
        data: list[tuple[str, str]] | None = None,
        *,
        follow: bool = True,
        **headers: str,
    ) -> tuple[int, str, bytes, dict[str, str]]:
        """Send a request, follow redirects hop by hop; return the last response.

        With ``follow=False`` a redirect is returned as it is (the person closed the tab).
        """
        url = urljoin(self.base_url, path)
        body = urlencode(data).encode() if data is not None else None
        for _hop in range(10):
            status, raw, response_headers = self._once(url, body, headers)
            if status not in REDIRECTS or not follow:
                return status, url, raw, response_headers
            url = urljoin(url, response_headers["Location"])
            if status not in (307, 308):
                body = None
        raise AssertionError(f"too many redirects, last to {url}")

    def _once(
        self, url: str, body: bytes | None, headers: dict[str, str]
    ) -> tuple[int, bytes, dict[str, str]]:
        """One request, sent again on a dropped connection or a gateway error."""
        for attempt in range(self.retries + 1):
            if attempt:
                self.retried += 1
                time.sleep(min(0.1 * attempt, 1.0))
            request = urllib.request.Request(url, data=body, headers=headers)
            self.requests += 1
            try:
                with self.opener.open(request, timeout=60) as response:
                    status, raw = response.status, response.read()
                    response_headers = dict(response.headers)
            except urllib.error.HTTPError as error:
                status, response_headers = error.code, dict(error.headers)
                try:
                    with error:
                        raw = error.read()
                except CONNECTION_ERRORS:
                    # Cut off after the headers: a browser still follows a redirect
                    # (its body is never shown) and reloads anything else.
                    self.connection_errors += 1
                    if status not in REDIRECTS:
                        if attempt == self.retries:
                            raise
                        continue
                    raw = b""
            except CONNECTION_ERRORS:
                self.connection_errors += 1
                if attempt == self.retries:
                    raise
                continue
            self.statuses[status] += 1
            if status in RETRY_STATUSES and attempt < self.retries:
                continue
            return status, raw, response_headers
        raise AssertionError("unreachable")
