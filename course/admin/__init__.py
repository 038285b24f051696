"""Administration: learners, reports, certificates and CE records."""

from flask import Blueprint, abort
from flask_login import current_user

from course.extensions import login_manager
from course.models import Role

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def admins_only():
    """Refuse the whole area to anyone but admins, whatever a view's own decorator says.

    :raise 403: for signed-in users who are not admins (anonymous users are sent to sign in).
    """
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current_user.has_role(Role.ADMIN):
        abort(403)
    return None


from course.admin import (  # noqa: E402,F401  (registers routes)
    approval_views,
    certificate_views,
    correction_views,
    learner_views,
    lti_views,
    records_views,
    report_views,
    request_views,
    team_views,
)
