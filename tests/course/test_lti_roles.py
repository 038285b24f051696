"""Which launches are course staff looking the link over, read from LTI 1.3 roles alone."""

from __future__ import annotations

import pytest

from course.lti.roles import staff_role

MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership"
INSTITUTION = "http://purl.imsglobal.org/vocab/lis/v2/institution/person"
SYSTEM = "http://purl.imsglobal.org/vocab/lis/v2/system/person"


@pytest.mark.parametrize(("roles", "named"), [
    ([MEMBERSHIP + "#Instructor", INSTITUTION + "#Instructor"], "an instructor"),
    ([MEMBERSHIP + "/Instructor#TeachingAssistant"], "a teaching assistant"),
    ([MEMBERSHIP + "#ContentDeveloper"], "a content developer"),
    ([MEMBERSHIP + "#Mentor"], "a mentor"),  # Canvas's observer
    (["Instructor"], "an instructor"),  # LTI 1.1's short name, still sent by some
    # Moodle's site administrator opening a course they have no role in.
    ([SYSTEM + "#Administrator", INSTITUTION + "#Administrator"], "a site administrator"),
    # Taking the course is what counts: a learner who also teaches elsewhere takes it.
    ([MEMBERSHIP + "#Instructor", MEMBERSHIP + "#Learner"], None),
    ([MEMBERSHIP + "/Learner#NonCreditLearner", MEMBERSHIP + "#Mentor"], None),
    ([SYSTEM + "#Administrator", MEMBERSHIP + "#Learner"], None),
    ([MEMBERSHIP + "#Learner", INSTITUTION + "#Student"], None),
    ([INSTITUTION + "#Instructor"], None),  # teaches somewhere, not in this course
    ([MEMBERSHIP + "#Member"], None),
    ([], None),  # the platform knows no role: a learner, as before
    ([None, 7, {"role": "Instructor"}], None),  # junk in the list is no role
])
def test_staff_are_told_apart_from_learners(roles, named):
    assert staff_role(roles) == named
