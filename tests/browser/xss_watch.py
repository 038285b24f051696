"""The XSS run's watcher: what each page did in chromium, and whether anything could run.

A script added to every document before its own notes CSP violations as they happen;
``INSPECT`` then walks the DOM for anything that could run on a click or hover. ``Watch``
keeps the dialogs, markers, findings and refused images across all pages of the run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from course.security import CONTENT_SECURITY_POLICY
from tests.data.xss_payloads import PAYLOADS

# Runs in every document before its own scripts: note CSP violations as they happen.
WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(
    e.effectiveDirective + " " + (e.blockedURI || "inline") + " " + (e.sample || ""));
});
"""

# Anything in the DOM that could run on load, click, hover or focus.
INSPECT = """
() => {
  const bad = [];
  const urlAttrs = new Set(["href", "src", "action", "formaction", "xlink:href", "data",
    "background", "poster", "lowsrc", "dynsrc", "codebase", "cite", "srcset"]);
  const same = (v) => v.startsWith("/") && !v.startsWith("//") ||
                      v.startsWith(location.origin + "/");
  for (const el of document.querySelectorAll("*")) {
    const tag = el.tagName.toLowerCase();
    const where = tag + (el.id ? "#" + el.id : "");
    for (const a of el.attributes) {
      const n = a.name.toLowerCase();
      if (n.startsWith("on")) bad.push(`${where} has ${n}`);
      if (n === "style" || n === "srcdoc") bad.push(`${where} has ${n}`);
      if (urlAttrs.has(n)) {
        // Ask the browser's own URL parser which scheme the value really has.
        let scheme = "";
        try { scheme = new URL(a.value, document.baseURI).protocol; } catch (e) {}
        if (["javascript:", "vbscript:", "livescript:"].includes(scheme) ||
            scheme === "data:" && tag !== "img") {
          bad.push(`${where} ${n}=${a.value.slice(0, 60)}`);
        }
      }
    }
    if (["iframe", "frame", "frameset", "object", "embed", "applet", "base", "style",
         "math", "xmp", "plaintext", "template", "noembed", "isindex", "keygen"]
        .includes(tag)) bad.push(`<${tag}> element`);
    if (tag === "script" && !same(el.getAttribute("src") || "")) bad.push("<script> element");
    // The page's own stylesheets and icon, in its head; any other <link> came from input.
    if (tag === "link" && !(["stylesheet", "icon"].includes(el.rel) && el.closest("head")
                            && same(el.getAttribute("href") || "")))
      bad.push("<link> element");
    if (tag === "meta" && (el.httpEquiv || el.closest("body"))) bad.push("<meta> element");
    // Inline SVG is fine (the QR code, admin charts); what SVG can run or smuggle is not.
    if (["foreignobject", "animate", "set", "animatetransform", "animatemotion", "use",
         "handler", "listener"].includes(tag)) bad.push(`<${tag}> element`);
    if (tag === "form" && !same(el.getAttribute("action") || location.pathname))
      bad.push(`form action ${el.getAttribute("action")}`);
  }
  return {bad, xss: window.__xss, violations: window.__cspViolations || []};
}
"""


@dataclass
class Watch:
    """What the pages did: visits, dialogs, markers, DOM findings, CSP violations."""

    pages: int = 0
    dialogs: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    images_refused: int = 0
    documents_without_csp: list[str] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)

    def attach(self, page) -> None:
        page.on("dialog", self._dialog)
        page.on("response", self._response)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message} on {dialog.page.url}")
        dialog.dismiss()

    def _response(self, response) -> None:
        if response.request.resource_type != "document":
            return
        if response.headers.get("content-security-policy") != CONTENT_SECURITY_POLICY:
            self.documents_without_csp.append(response.url)

    def inspect(self, page, what: str) -> None:
        """Check the page as it stands now."""
        found = page.evaluate(INSPECT)
        self.pages += 1
        self.seen.add(what)
        self.problems += [f"{what} ({page.url[:100]}): {b}" for b in found["bad"][:5]]
        if found["xss"] is not None:
            self.problems.append(f"{what} ({page.url[:100]}): window.__xss = {found['xss']}")
        for violation in found["violations"]:
            directive, blocked = (violation.split(" ") + [""])[:2]
            host = urlsplit(blocked).hostname or ""
            if directive == "img-src" and host and any(host in p for p in PAYLOADS):
                self.images_refused += 1  # a payload's external image, refused: not script
            else:
                self.problems.append(f"{what} ({page.url[:100]}): CSP refused {violation}")

    def visit(self, page, url: str, what: str, status: int | None = 200) -> None:
        """Open the address and check the page; ``status`` None accepts any but a 5xx."""
        response = page.goto(url)
        assert response is not None, url
        if status is None:
            assert response.status < 500, f"{what}: {url} answered {response.status}"
        else:
            assert response.status == status, f"{what}: {url} answered {response.status}"
        self.inspect(page, what)

    def assert_clean(self) -> None:
        """Fail now, naming the pages, if anything ran or could have."""
        assert not self.dialogs, self.dialogs[:20]
        assert not self.documents_without_csp, self.documents_without_csp[:20]
        assert not self.problems, "\n".join(self.problems[:40])
