"""The admin's learner pages at scale: the learners list's figures, page after page."""

from __future__ import annotations

import re

import pytest

from course.extensions import db
from course.models import User
from tests.course.factories import make_user, sign_in
from tests.course.test_admin_dataset import build_dataset

ROW = re.compile(
    r'id="name-(\d+)">.*?</th>.*?<td class="num">(\d+)</td>\s*'
    r'<td class="num">(\d+)</td>\s*<td class="num">(\d+)</td>',
    re.S,
)


@pytest.fixture
def data(app, minimal_package_dir):
    with app.app_context():
        return build_dataset(minimal_package_dir)


def _figures(page: str) -> dict[int, tuple[int, int, int]]:
    """The list's rows: account id -> (enrolled, completed, certificates)."""
    return {int(i): (int(e), int(c), int(n)) for i, e, c, n in ROW.findall(page)}


def test_the_learners_list_counts_each_persons_courses_on_every_page(app, data):
    with app.app_context():
        # Names starting "#" sort between C's '"' and D's "<": C and D end page 1,
        # A, B and the admin open page 2.
        fillers = [make_user(full_name=f"#Filler {n:02d}").id for n in range(48)]
        admin = db.session.get(User, data.admin.id)
    client = sign_in(app.test_client(), admin)
    first = client.get("/admin/learners").get_data(as_text=True)
    second = client.get("/admin/learners?page=2").get_data(as_text=True)
    a, b, c, d = (data.learners[letter].id for letter in "abcd")

    assert "53 accounts" in first
    assert list(_figures(first)) == [c, *fillers, d]
    assert _figures(first)[c] == (1, 0, 0) and _figures(first)[d] == (1, 0, 0)
    assert all(_figures(first)[f] == (0, 0, 0) for f in fillers)
    assert _figures(second) == {a: (1, 1, 1), b: (1, 1, 0), data.admin.id: (0, 0, 0)}
    assert "Page 2 of 2 (53 in all)" in second


def test_a_search_shows_only_its_matches_with_their_own_figures(app, data):
    client = sign_in(app.test_client(), data.admin)
    b = data.learners["b"]
    found = client.get("/admin/learners", query_string={"q": "lsw-b"}).get_data(as_text=True)
    assert "1 account matching" in found
    assert _figures(found) == {b.id: (1, 1, 0)}

    none = client.get("/admin/learners", query_string={"q": "nobody"}).get_data(as_text=True)
    assert "0 accounts matching" in none and _figures(none) == {}
    admins = client.get("/admin/learners", query_string={"role": "admin"}).get_data(as_text=True)
    assert _figures(admins) == {data.admin.id: (0, 0, 0)}
