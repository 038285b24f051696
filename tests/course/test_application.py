"""The application class: handlers asked about once, per-request functions not kept."""

from __future__ import annotations

import gc

import pytest
from flask import Flask, after_this_request


def test_functions_made_per_request_run_each_time_and_are_not_kept(app):
    @app.get("/_per-request")
    def per_request():
        @after_this_request
        def stamp(response):
            response.headers["X-Stamped"] = "yes"
            return response

        return "ok"

    client = app.test_client()
    client.get("/_per-request")
    gc.collect()
    kept_before = len(app._coroutines)  # the app's own handlers and this view
    for _ in range(30):
        response = client.get("/_per-request")
        assert response.headers["X-Stamped"] == "yes"
    gc.collect()
    assert len(app._coroutines) == kept_before  # no request's closure is kept


def test_a_coroutine_view_gets_flasks_own_answer(app):
    async def view():
        return "ok"

    # Without Flask's "async" extra, plain Flask refuses the same way.
    with pytest.raises(RuntimeError) as ours, app.app_context():
        app.ensure_sync(view)
    with pytest.raises(RuntimeError) as plain:
        Flask("plain").ensure_sync(view)
    assert str(ours.value) == str(plain.value)
    assert app.ensure_sync(len) is len  # a built-in cannot be remembered weakly: still fine
