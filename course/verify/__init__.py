"""Public certificate verification (the QR code's target); no sign-in needed."""

from flask import Blueprint

bp = Blueprint("verify", __name__, url_prefix="/verify")

from course.verify import views  # noqa: E402,F401  (registers routes)
