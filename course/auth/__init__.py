"""Accounts: sign-up, sign-in, profile and password reset.

The routes live in ``course.auth.views`` (which imports ``account_views`` and
``session_views``); importing it registers them on ``bp``.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("auth", __name__)
