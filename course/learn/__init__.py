"""The learner's side: catalogue, course pages and the lesson player."""

from flask import Blueprint

bp = Blueprint("learn", __name__)

from course.learn import (  # noqa: E402,F401  (registers routes)
    assessment_views,
    certificate_views,
    correction_views,
    evaluation_views,
    preview_views,
    views,
)
