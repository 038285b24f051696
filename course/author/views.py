"""The author area's home, a course's dashboard, its settings and its list of lessons."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from course.author import archived, bp, imports, reading, uploads
from course.author import editing as edits
from course.author import services as drafts
from course.author.forms import ActionForm, NewLessonForm, UploadForm
from course.author.packagezip import ZipRefused, read_package_zip
from course.author.settings_forms import SettingsForm
from course.author.viewkit import (
    allow_self_publish,
    editor,
    file_url,
    flash_saved,
    flash_undoable,
    handle_form,
    learners_keep,
    status,
)
from course.extensions import db
from course.formpages import form_page
from course.teams import requests, review
from course.teams import services as teams
from course.templating import counted

#: Where a refused "Add a lesson" keeps the title and slug typed, for the page it returns to.
TYPED_LESSON = "author_new_lesson"


@bp.get("/")
def home():
    """List the courses an author can edit, and offer to start one from a ZIP."""
    spaces = drafts.list_workspaces(teams.course_slugs(current_user))
    in_review = requests.states(space.draft for space in spaces)
    waiting = requests.waiting_for(current_user, spaces, in_review, allow_self=allow_self_publish())
    return render_template(
        "author/home.html", spaces=spaces, upload=UploadForm(), in_review=in_review,
        waiting=waiting,
    )  # fmt: skip


@bp.post("/new")
@form_page("author.home", anchor="new-course-heading")
def create_course():
    """Start a new course from an uploaded package ZIP (a draft until published)."""
    form = UploadForm()
    if not form.validate_on_submit():
        return render_template("author/upload.html", form=form, space=None), 422
    try:
        files = read_package_zip(form.package.data.read())
        space = uploads.create_course(editor(), files)
    except (ZipRefused, drafts.AuthorError) as exc:
        return render_template("author/upload.html", form=form, space=None, error=exc), 422
    db.session.commit()
    _, findings = drafts.check_draft(space)
    if errors := sum(f.level == "error" for f in findings):
        # A ZIP with errors still makes the draft; a plain success would hide them, as
        # "Saved as revision N" alone would after an edit.
        flash({"text": f"The course is created as a draft, with {counted(errors, 'error')} to "
               "fix before it can be published: see the checker's findings."}, "warning")
    else:
        flash("The course is created as a draft. Check it, then publish it.", "success")
    return redirect(url_for("author.course", slug=space.slug))


@bp.get("/courses/<slug>/")
def course(slug: str):
    """A course's dashboard: status, lessons, checker findings, package in and out."""
    space = drafts.get_workspace_or_404(slug)
    package, findings = drafts.check_draft(space)
    return render_template(
        "author/course.html",
        space=space,
        lessons=reading.lesson_rows(space.files),
        findings=findings,
        partial=package is None and bool(findings),
        file_url=file_url,
        # A refused Add comes back with what was typed (see add_lesson).
        new_lesson=NewLessonForm(formdata=None, data=session.pop(TYPED_LESSON, None)),
        action=ActionForm(),
        upload=UploadForm(),
        latest=drafts.revisions(space, limit=1),
        team=teams.members(slug),
        open_comments=review.open_comments(space.draft),
        archived=archived.archived_in_draft(space),
        taken_back=imports.import_taken_back(space),
    )


@bp.route("/courses/<slug>/settings", methods=["GET", "POST"])
def settings(slug: str):
    """Edit course.yaml as fields: objectives, hours, provider, approval, support..."""
    space = drafts.get_workspace_or_404(slug)
    form = SettingsForm() if request.method == "POST" else SettingsForm.from_manifest(
        reading.manifest(space.files), space.revision)  # fmt: skip
    form, done = handle_form(
        form,
        lambda f, base: edits.save_settings(space, editor(), f.to_manifest(), base),
        lambda f: url_for("author.settings", slug=slug),
    )
    if done:
        return done
    found, elsewhere = reading.file_findings(space, "course.yaml")
    findings = reading.place_on_fields(found, space.files.get("course.yaml", ""), form.field_for)
    boxes = reading.findings_by_box(findings, "settings-findings")
    package, _ = drafts.check_draft(space)  # cached: the findings above came from it
    return render_template("author/settings.html", space=space, form=form, findings=findings,
                           boxes=boxes, elsewhere=elsewhere,
                           partial=package is None and bool(found or elsewhere)), status(form)


@bp.post("/courses/<slug>/lessons")
@form_page("author.course", anchor="add-lesson")
def add_lesson(slug: str):
    """Add a lesson at the end of the course and open it in the editor."""
    space = drafts.get_workspace_or_404(slug)
    form = NewLessonForm()
    if not form.validate_on_submit():
        return _refused_lesson(slug, form, "Give the new lesson a title and a slug.")
    lesson = form.slug.data.strip().lower()
    try:
        flash_saved(edits.add_lesson(space, editor(), lesson, form.title.data))
    except drafts.AuthorError as exc:
        return _refused_lesson(slug, form, str(exc))
    db.session.commit()
    return redirect(url_for("author.lesson", slug=slug, lesson=lesson))


def _refused_lesson(slug: str, form: NewLessonForm, message: str):
    """Back to the Add a lesson form, with the reason and what the author typed."""
    flash(message, "error")
    session[TYPED_LESSON] = {"title": form.title.data or "", "slug": form.slug.data or ""}
    return redirect(url_for("author.course", slug=slug, at="add-lesson", _anchor="add-lesson"))


@bp.post("/courses/<slug>/lessons/<lesson>/move")
@form_page("author.course", anchor="lessons")
def move_lesson(slug: str, lesson: str):
    """Move a lesson up or down one place (the buttons work without JavaScript)."""
    space = drafts.get_workspace_or_404(slug)
    step = {"up": -1, "down": 1}.get(request.form.get("direction", ""))
    if not ActionForm().validate_on_submit() or step is None:
        abort(400)
    try:
        flash_saved(edits.move_lesson(space, editor(), lesson, step))
    except drafts.AuthorError as exc:
        flash(str(exc), "error")
    db.session.commit()
    return redirect(url_for("author.course", slug=slug, at="lessons", _anchor="lessons"))


@bp.post("/courses/<slug>/lessons/<lesson>/archive")
@form_page("author.lesson", anchor="archive-heading")
def archive_lesson(slug: str, lesson: str):
    """Take a lesson out of the draft; publishing archives it and keeps learners' records."""
    space = drafts.get_workspace_or_404(slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        saved = edits.archive_lesson(space, editor(), lesson)
    except drafts.AuthorError as exc:
        flash(str(exc), "error")
    else:
        kept = learners_keep(space, lesson=lesson)
        flash_undoable(slug, saved, kept and kept + " Their records of it are kept.")
    db.session.commit()
    return redirect(url_for("author.course", slug=slug, at="lessons", _anchor="lessons"))


@bp.post("/courses/<slug>/lessons/<lesson>/bring-back")
@form_page("author.course", anchor="archived")
def bring_back_lesson(slug: str, lesson: str):
    """Put a lesson the draft archived back in its place, keeping every later change."""
    space = drafts.get_workspace_or_404(slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        saved = archived.bring_back(space, editor(), lesson)
    except drafts.AuthorError as exc:
        flash(str(exc), "error")
    else:
        flash_undoable(slug, saved, "Publishing no longer archives it.")
    db.session.commit()
    return redirect(url_for("author.course", slug=slug, at="lessons", _anchor="lessons"))


@bp.post("/courses/<slug>/upload")
@form_page("author.course", anchor="package-heading")
def upload(slug: str):
    """Make an uploaded package ZIP the course's draft."""
    space = drafts.get_workspace_or_404(slug)
    form = UploadForm()
    if not form.validate_on_submit():
        return render_template("author/upload.html", form=form, space=space), 422
    try:
        files = read_package_zip(form.package.data.read())
        saved = uploads.upload_package(space, editor(), files)
    except (ZipRefused, drafts.AuthorError) as exc:
        return render_template("author/upload.html", form=form, space=space, error=exc), 422
    db.session.commit()
    flash_saved(saved)
    return redirect(url_for("author.course", slug=slug))
