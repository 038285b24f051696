"""Who may use /admin and /author, and what admins may do to accounts."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from werkzeug.routing import IntegerConverter, Rule

from course.extensions import db
from course.models import AuditEvent, Role, User
from tests.course.factories import make_user, sign_in

PROTECTED = ("/admin", "/author")


def _dummy(rule: Rule) -> dict[str, object]:
    """Values for a rule's converters: 1 for numbers, a plain word for anything else."""
    values: dict[str, object] = {}
    for name, converter in rule._converters.items():
        values[name] = 1 if isinstance(converter, IntegerConverter) else "dummy"
    return values


def _protected_requests(app) -> list[tuple[str, str, str]]:
    """Every (method, URL, endpoint) under /admin and /author the app answers at test time."""
    found = []
    adapter = app.url_map.bind("localhost")
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(PROTECTED):
            continue
        path = adapter.build(rule.endpoint, _dummy(rule), url_scheme="http")
        path = path.split("localhost", 1)[-1]
        # OPTIONS is answered by Flask itself without running the view.
        for method in sorted(rule.methods - {"OPTIONS"}):
            found.append((method, path, rule.endpoint))
    return found


def test_every_admin_and_author_route_refuses_visitors_learners_and_authors(app):
    routes = _protected_requests(app)
    admin_routes = [r for r in routes if r[1].startswith("/admin")]
    assert len({endpoint for _, _, endpoint in admin_routes}) >= 14
    with app.app_context():
        learner = make_user(Role.LEARNER)
        author = make_user(Role.AUTHOR)
    visitor = app.test_client()
    learner_client = sign_in(app.test_client(), learner)
    author_client = sign_in(app.test_client(), author)
    for method, path, _endpoint in routes:
        response = visitor.open(path, method=method)
        assert response.status_code == 302, (method, path)
        assert "/auth/login" in response.location, (method, path)
        assert learner_client.open(path, method=method).status_code == 403, (method, path)
        if path.startswith("/admin"):
            assert author_client.open(path, method=method).status_code == 403, (method, path)


def test_the_walk_sees_the_routes_it_should(app):
    seen = {(method, endpoint) for method, _, endpoint in _protected_requests(app)}
    for expected in [
        ("GET", "admin.home"),
        ("GET", "admin.learner"),
        ("POST", "admin.deactivate"),
        ("POST", "admin.change_role"),
        ("GET", "admin.certificates_csv"),
        ("GET", "admin.audit_pack"),
        ("GET", "admin.roster_csv"),
        ("HEAD", "admin.audit_log"),
        ("POST", "admin.revoke"),
    ]:
        assert expected in seen


@pytest.fixture
def people(app):
    with app.app_context():
        admin = make_user(Role.ADMIN, full_name="Ada Admin")
        other_admin = make_user(Role.ADMIN, full_name="Bo Admin")
        learner = make_user(full_name="Lee Learner", licence_number="LSW-777")
    return admin, other_admin, learner


def _events(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def _user(app, user_id: int) -> User:
    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        return user


def test_deactivating_ends_the_learners_sessions_and_is_audited(app, people):
    admin, _, learner = people
    learner_client = sign_in(app.test_client(), learner)
    assert learner_client.get("/me").status_code == 200
    admin_client = sign_in(app.test_client(), admin)
    unexplained = admin_client.post(f"/admin/learners/{learner.id}/deactivate")
    assert unexplained.status_code == 422 and _user(app, learner.id).active
    assert "Give the reason." in unexplained.get_data(as_text=True)
    response = admin_client.post(
        f"/admin/learners/{learner.id}/deactivate", data={"reason": "Shared account"}
    )
    assert response.status_code == 303
    assert "is deactivated" in admin_client.get(response.location).get_data(as_text=True)
    stored = _user(app, learner.id)
    assert not stored.active and stored.session_version == learner.session_version + 1
    ended = learner_client.get("/me")
    assert ended.status_code == 302 and "/auth/login" in ended.location
    [event] = _events(app, "user.deactivated")
    assert (event.actor_id, event.subject_id) == (admin.id, str(learner.id))
    assert (event.detail["reason"], event.ip_address) == ("Shared account", "127.0.0.1")

    admin_client.post(f"/admin/learners/{learner.id}/reactivate", data={"reason": "Resolved"})
    assert _user(app, learner.id).active
    assert learner_client.get("/me").status_code == 302  # the old session stays ended
    assert sign_in(app.test_client(), _user(app, learner.id)).get("/me").status_code == 200
    assert len(_events(app, "user.reactivated")) == 1


def test_role_changes_are_audited_and_take_effect(app, people):
    admin, _, learner = people
    admin_client = sign_in(app.test_client(), admin)
    learner_client = sign_in(app.test_client(), learner)
    assert learner_client.get("/admin/").status_code == 403
    done = admin_client.post(
        f"/admin/learners/{learner.id}/role", data={"role": "admin", "reason": "New director"},
        follow_redirects=True,
    )
    assert f"{learner.full_name} is now an admin." in done.get_data(as_text=True)
    assert _user(app, learner.id).role == Role.ADMIN
    assert learner_client.get("/admin/").status_code == 200
    [event] = _events(app, "user.role_changed")
    assert event.detail["from"] == "learner" and event.detail["to"] == "admin"
    assert event.detail["reason"] == "New director"
    assert admin_client.post(
        f"/admin/learners/{learner.id}/role", data={"role": "superuser"}
    ).status_code == 400


def test_an_admin_cannot_demote_or_deactivate_themselves(app, people):
    admin, other_admin, _ = people
    client = sign_in(app.test_client(), admin)
    page = client.get(f"/admin/learners/{admin.id}").get_data(as_text=True)
    assert "your own account" in page and "Deactivate account" not in page
    demote = client.post(f"/admin/learners/{admin.id}/role",
                         data={"role": "learner", "reason": "x"}, follow_redirects=True)
    assert "cannot remove your own admin role" in demote.get_data(as_text=True)
    deactivate = client.post(
        f"/admin/learners/{admin.id}/deactivate", data={"reason": "x"}, follow_redirects=True
    )
    assert "cannot deactivate your own account" in deactivate.get_data(as_text=True)
    stored = _user(app, admin.id)
    assert stored.role == Role.ADMIN and stored.active
    assert stored.session_version == admin.session_version
    assert _events(app, "user.role_changed") == _events(app, "user.deactivated") == []
    assert client.get("/admin/").status_code == 200
    # Another admin may do both.
    client.post(f"/admin/learners/{other_admin.id}/role", data={"role": "author", "reason": "x"})
    assert _user(app, other_admin.id).role == Role.AUTHOR


def test_account_actions_need_a_csrf_token(app, people):
    admin, _, learner = people
    app.config["WTF_CSRF_ENABLED"] = True
    client = sign_in(app.test_client(), admin)
    assert client.post(f"/admin/learners/{learner.id}/deactivate").status_code == 400
    assert _user(app, learner.id).active


def test_learner_search_by_name_email_or_licence_with_paging(app, people):
    admin, _, learner = people
    with app.app_context():
        for n in range(55):
            make_user(full_name=f"Paged Person {n:02d}", email=f"paged{n}@example.org")
    client = sign_in(app.test_client(), admin)
    for query in ("lee lear", "LSW-777", learner.email.upper()):
        html = client.get("/admin/learners", query_string={"q": query}).get_data(as_text=True)
        assert "Lee Learner" in html and "<caption>1 account " in html, query
    literal = client.get("/admin/learners", query_string={"q": "%"}).get_data(as_text=True)
    assert "<caption>0 accounts" in literal  # wildcards are taken literally
    first = client.get("/admin/learners", query_string={"q": "paged"}).get_data(as_text=True)
    assert "<caption>55 accounts" in first and "Page 1 of 2" in first
    assert first.count("Paged Person") == 50 and "page=2" in first
    second = client.get("/admin/learners", query_string={"q": "paged", "page": 2})
    assert second.get_data(as_text=True).count("Paged Person") == 5
    admins = client.get("/admin/learners", query_string={"role": "admin"}).get_data(as_text=True)
    assert "Ada Admin" in admins and "Lee Learner" not in admins


def test_a_name_is_found_with_or_without_its_accents_in_any_case(app, people):
    admin, _, _ = people
    with app.app_context():
        found = make_user(full_name="María Núñez-Álvarez", email="mnunez@example.org")
        make_user(full_name="Mario Nunes", email="mario@example.org")
    client = sign_in(app.test_client(), admin)

    def names(path: str, **query: str) -> str:
        return client.get(path, query_string=query).get_data(as_text=True)

    # As a colleague types it from a phone call, in capitals, or with the accents.
    for query in ("maria nunez", "NÚÑEZ-ÁLVAREZ", "alvarez", "Núñez"):
        page = names("/admin/learners", q=query)
        assert "María Núñez-Álvarez" in page and "<caption>1 account " in page, query
    # The audit log's learner filter compares alike.
    assert "Events about María Núñez-Álvarez (mnunez@example.org)" in " ".join(
        names("/admin/audit", learner="NUNEZ-alvarez").split())
    # A corrected name is found by its new spelling, and no longer by the old one.
    with app.app_context():
        account = db.session.get(User, found.id)
        account.full_name = "María Ortiz"
        db.session.commit()
    assert "<caption>1 account " in names("/admin/learners", q="ortiz")
    assert "<caption>0 accounts" in names("/admin/learners", q="alvarez")


def test_admins_see_the_administration_link_and_learners_do_not(app, people):
    admin, _, learner = people
    assert "Administration" in sign_in(app.test_client(), admin).get("/me").get_data(as_text=True)
    assert "Administration" not in sign_in(app.test_client(), learner).get("/me").get_data(
        as_text=True
    )
