"""The name under which a lesson page keeps unsent picks in the browser: per account,
course version and lesson, and naming no one."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from tests.course.factories import import_course, make_user, sign_in

LESSON = "/courses/minimal/lessons/push-pull"


def _keep_name(client: FlaskClient) -> str:
    page = client.get(LESSON).get_data(as_text=True)
    found = re.search(r'<form[^>]*id="lesson-form"[^>]*data-keep="([^"]+)"', page)
    assert found, "the lesson form names no storage"
    return found.group(1)


def test_each_account_has_its_own_opaque_name_for_a_lesson(app: Flask, package_copy) -> None:
    with app.app_context():
        course = import_course(package_copy)
        version = course.current_version_id
        first, second = make_user(), make_user()
    names = []
    for user in (first, second):
        client = app.test_client()
        sign_in(client, user)
        client.post("/courses/minimal/enroll")
        name = _keep_name(client)
        assert name == _keep_name(client)  # the same on every visit, so picks come back
        names.append(name)
        prefix, token, slug, kept_version, lesson = name.split(":")
        assert (prefix, slug, kept_version, lesson) == ("ce-lesson", "minimal", str(version),
                                                        "push-pull")
        # Nothing that names the learner on a shared computer.
        assert user.email not in name and str(user.id) != token and len(token) == 16
    assert names[0] != names[1]
