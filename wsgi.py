"""WSGI entry point: ``gunicorn wsgi:app`` or ``flask --app wsgi ...``."""

from course import create_app
from course.auth.browsers import warm_up_device_labels

app = create_app()
warm_up_device_labels()  # at start, not during a learner's first sign-in on this worker
