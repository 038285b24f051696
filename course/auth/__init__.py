"""Accounts: sign-up, sign-in, profile and password reset.

The routes live in ``course.auth.views``; importing that module registers them on ``bp``.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("auth", __name__)
