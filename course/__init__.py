"""The course engine's web application."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from types import FunctionType
from typing import Any

from flask import Flask

from course.config import CONFIGS, Config, SettingError, config_for


class CourseApp(Flask):
    """Flask, remembering which of its hooks and views are plain functions."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plain_functions: set[FunctionType] = set()

    def ensure_sync(self, func: Any) -> Any:
        """Return ``func`` callable from a sync worker, asking ``inspect`` once per function."""
        # Flask asks about every hook, view and context processor on every request, and
        # inspect's answer was about a twentieth of a lesson page's profile. Only registered
        # plain functions are remembered, so the set stays the size of the app.
        if func in self._plain_functions:
            return func
        sync = super().ensure_sync(func)
        if sync is func and type(func) is FunctionType:
            self._plain_functions.add(func)
        return sync


def create_app(config: type[Config] | Mapping[str, Any] | None = None) -> Flask:
    """Create and configure an instance of the application.

    ``config`` is a settings class, or a mapping of overrides (with ``TESTING`` set,
    the overrides apply on top of the testing settings).
    """
    app = CourseApp(__name__, instance_relative_config=True)
    base = config_for(os.environ.get("COURSE_ENV", "development"))
    if isinstance(config, type):
        base = config
    elif isinstance(config, Mapping) and config.get("TESTING"):
        base = CONFIGS["testing"]
    app.config.from_object(base)
    if isinstance(config, Mapping):
        app.config.update(config)
    # The SQLite database, its signing keys and the demo admin's password live here.
    Path(app.instance_path).mkdir(mode=0o700, parents=True, exist_ok=True)
    _configure_database_url(app)
    from course import logs, provider, security

    security.init_app(app)  # first: a weak production secret key stops the start here
    provider.init_app(app)  # then a production BASE_URL that is not https://
    logs.init_app(app)  # before anything logs; its request id before the other hooks

    _configure_extensions(app)
    _register_blueprints(app)
    _register_cli(app)

    from course import errors, formpages, mail, templating
    from course.learn import content

    errors.init_app(app)
    formpages.init_app(app)  # after the blueprints: it reads their rules
    mail.init_app(app)
    templating.init_app(app)
    content.init_app(app)
    return app


def _configure_database_url(app: Flask) -> None:
    url = app.config.get("SQLALCHEMY_DATABASE_URI")
    if not url:
        url = f"sqlite:///{Path(app.instance_path) / 'course.db'}"
    # Hosting platforms hand out postgres:// URLs; SQLAlchemy wants a driver name.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            url = "postgresql+psycopg://" + url[len(prefix) :]
    if not url.startswith(("sqlite://", "postgresql+psycopg://")):
        # Otherwise SQLAlchemy's traceback about a missing driver, with the setting unnamed.
        raise SettingError(
            "DATABASE_URL must be a postgresql:// address (or sqlite:///PATH), not "
            f"one starting {url.split('://', 1)[0]!r}"
        )
    app.config["SQLALCHEMY_DATABASE_URI"] = url


def _configure_extensions(app: Flask) -> None:
    from course import (
        csrftokens,
        models,  # noqa: F401  (registers the tables on the metadata)
        secretkeys,
        sessioncookie,
    )
    from course.auth.browsers import load_signed_in_user
    from course.auth.sessions import ask_to_sign_in
    from course.extensions import csrf, db, limiter, login_manager, migrate
    from course.sqlite import configure_sqlite

    sessioncookie.init_app(app)
    db.init_app(app)
    migrate.init_app(app, db, render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    secretkeys.init_app(app)
    csrftokens.init_app(app)  # after Flask-WTF, so the app's csrf_token wins in templates
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to see that page."
    login_manager.login_message_category = "info"
    login_manager.refresh_view = "auth.login"
    login_manager.needs_refresh_message = "To keep your account safe, please sign in again."
    login_manager.needs_refresh_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_signed_in_user)
    login_manager.unauthorized_handler(ask_to_sign_in)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            configure_sqlite(app, db.engine)
        elif db.engine.dialect.name == "postgresql":
            from course import postgres

            postgres.init_app(app)

    @app.before_request
    def _start_from_the_database() -> None:
        # Objects outlive commits (expire_on_commit is off); a request that shares its
        # session with earlier work, as in a CLI or test context, must still read fresh.
        db.session.expire_all()


def _register_blueprints(app: Flask) -> None:
    from course.admin import bp as admin_bp
    from course.auth.views import bp as auth_bp
    from course.author import bp as author_bp
    from course.credentials import bp as credentials_bp
    from course.health import bp as health_bp
    from course.learn import bp as learn_bp
    from course.lti import bp as lti_bp
    from course.verify import bp as verify_bp

    app.register_blueprint(learn_bp)
    app.register_blueprint(auth_bp, url_prefix="/auth")
    app.register_blueprint(verify_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(author_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(credentials_bp)
    app.register_blueprint(lti_bp)


def _register_cli(app: Flask) -> None:
    from course import cli_db
    from course.cli import certs_cli, course_cli
    from course.cli_keys import keys_cli
    from course.cli_mail import mail_cli
    from course.cli_users import users_cli
    from course.outbox.cli import outbox_cli, xapi_cli

    app.cli.add_command(course_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(certs_cli)
    app.cli.add_command(mail_cli)
    cli_db.register(app)
    app.cli.add_command(keys_cli)
    app.cli.add_command(outbox_cli)
    app.cli.add_command(xapi_cli)
    from flask_migrate.cli import db as db_group

    from course.clierrors import one_line_database_errors

    # A database that is down or unmigrated: one line saying so, not 100 of traceback.
    one_line_database_errors([app.cli, db_group])
