"""Administration: learners, reports, certificates and CE records."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from course.admin import certificate_views  # noqa: E402,F401  (registers routes)
