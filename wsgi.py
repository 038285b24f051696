"""WSGI entry point: ``gunicorn wsgi:app`` or ``flask --app wsgi ...``."""

from course import create_app
from course.auth.browsers import warm_up_device_labels
from course.config import SettingError

try:
    app = create_app()
except SettingError as exc:  # one line naming the setting, not a traceback that hides it
    raise SystemExit(f"The course engine cannot start: {exc}") from None
warm_up_device_labels()  # at start, not during a learner's first sign-in on this worker
