"""LTI 1.3 tool: an agency's LMS launches courses here and gets grades back."""

from flask import Blueprint

bp = Blueprint("lti", __name__, url_prefix="/lti")

from course.lti import link_views, views  # noqa: E402,F401  (registers routes)
