"""Verify a certificate by its code, by QR, or by its signed credential."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app, redirect, render_template, request, url_for

from certificates.codes import EXAMPLE_CODE, FORMAT_TEXT, shown_as_typed
from certificates.credential_file import MAX_CREDENTIAL_BYTES, read_credential
from certificates.pdf_check import MAX_PDF_BYTES, read_pdf
from course import issuing
from course.credentials import services as credentials
from course.db import utcnow
from course.extensions import limiter
from course.verify import bp, services
from course.verify.forms import CodeForm, CredentialForm, PdfForm


@bp.context_processor
def code_words() -> dict[str, str]:
    """The well-formed example code the lookup form's hint shows, and what a code is."""
    return {"example_code": EXAMPLE_CODE, "format_text": FORMAT_TEXT}


@bp.after_request
def private_answer(response):
    """Keep a certificate's answer out of search engines and caches."""
    if request.endpoint in ("verify.result", "verify.credential", "verify.pdf"):
        # It names a person: a link the holder posts publicly must not make the name
        # searchable. And a cached "Valid" could outlive a revocation.
        response.headers["X-Robots-Tag"] = "noindex, nofollow"
        response.headers["Cache-Control"] = "no-store"
    return response


def _limit() -> str:
    return current_app.config["VERIFY_RATE_LIMIT"]


def _blank_form() -> bool:
    return not _has_query()


def _not_sent_on(response) -> bool:
    # A code found is counted once, by the result page it is sent on to: a board office
    # checking a stack of certificates from one address spends one request on each.
    return response.status_code != 302


@bp.get("")
@limiter.limit(_limit, exempt_when=_blank_form, deduct_when=_not_sent_on)
def lookup():
    """The verification form; a valid-looking code goes to its own page."""
    form = CodeForm(request.args) if _has_query() else CodeForm(formdata=None)
    if _has_query() and form.validate():
        found = services.verify_code(form.code.data)
        if found is not None:
            return redirect(url_for("verify.result", code=found.code))
        form.refuse(form.code,
            "That code has a typing mistake or is not in the right form: please check it"
            f" against the certificate. A certificate code is {FORMAT_TEXT}."
        )
    return _lookup_page(form=form)


def _lookup_page(status: int = 200, **forms):
    """The verification page with its three forms, any of them as refused."""
    blank = {"form": CodeForm(formdata=None), "upload": CredentialForm(formdata=None),
             "pdf_upload": PdfForm(formdata=None)}  # fmt: skip
    return render_template("verify/lookup.html", **{**blank, **forms}), status


def _has_query() -> bool:
    return "code" in request.args


@bp.get("/<code>")
@limiter.limit(_limit)
def result(code: str):
    """Say whether a certificate is valid, revoked, superseded or unknown."""
    found = services.verify_code(code)
    if found is None:  # the check character says it was mistyped: not a forgery
        typed = shown_as_typed(code)
        # A box to type it again, filled in as it came: the mistake is one character.
        retype = CodeForm(formdata=None, code=typed or "")
        return render_template("verify/result.html", found=None, code=typed, form=retype), 404
    if found.code != code:
        return redirect(url_for("verify.result", code=found.code))
    status = 404 if found.status == "unknown" else 200
    return render_template("verify/result.html", found=found, code=code,
                           record=_record(found), checked=utcnow()), status


@bp.get("/<code>/")
def result_with_slash(code: str):
    """Send an address with a trailing slash (as some mail programs add) to the result."""
    return redirect(url_for("verify.result", code=code), 301)


def _uploaded(
    form, field, name: str, read: Callable[[bytes], Any], limit: int
) -> tuple[Any, Any]:
    """The file an upload form sent, read; or else the verification page refusing it.

    ``read`` raises ValueError with a sentence for the visitor; ``name`` is the form's
    name on the page.
    """
    if not form.validate_on_submit():
        return None, _lookup_page(400, **{name: form})
    try:
        # One byte past the limit is enough to tell that a file is over it.
        return read(field.data.read(limit + 1)), None
    except ValueError as exc:
        form.refuse(field, str(exc))
        return None, _lookup_page(400, **{name: form})


def _record(found: services.Verification):
    return issuing.record_of(found.certificate) if found.certificate else None


@bp.post("/credential")
@limiter.limit(_limit)
def credential():
    """Check an uploaded Open Badges credential's signature and its certificate's status."""
    form = CredentialForm()
    document, refused = _uploaded(
        form, form.credential, "upload", read_credential, MAX_CREDENTIAL_BYTES
    )
    if refused:
        return refused
    check, found = credentials.check_credential(document)
    return render_template("verify/credential.html", check=check, found=found,
                           record=_record(found) if found else None, checked=utcnow())


@bp.get("/credential")
def back_to_upload():
    """Open the verification page at the upload form when its address is opened again."""
    # A view of its own, not @form_page: GET /verify/credential would otherwise reach
    # /verify/<code> and look "credential" up as a certificate's code.
    return redirect(url_for("verify.lookup", _anchor="check-credential"), 303)


@bp.post("/pdf")
@limiter.limit(_limit)
def pdf():
    """Say whether an uploaded PDF is a certificate exactly as issued here, and its status."""
    form = PdfForm()
    data, refused = _uploaded(form, form.pdf, "pdf_upload", read_pdf, MAX_PDF_BYTES)
    if refused:
        return refused
    check = services.check_pdf(data)  # the file is read, never kept
    found = check.found
    return render_template("verify/pdf.html", check=check, found=found,
                           record=_record(found) if found else None, checked=utcnow())


@bp.get("/pdf")
def back_to_pdf_upload():
    """Open the verification page at the PDF form when its address is opened again."""
    return redirect(url_for("verify.lookup", _anchor="check-pdf"), 303)
