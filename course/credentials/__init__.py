"""Public documents that let anyone check a credential: issuer DID, status lists, badges."""

from flask import Blueprint

bp = Blueprint("credentials", __name__)

from course.credentials import views  # noqa: E402,F401  (registers routes)
