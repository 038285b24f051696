"""The data model: accounts, course content, learner records and audit events."""

from course.models.authoring import CourseDraft, DraftRevision
from course.models.content import (
    Choice,
    Course,
    CourseApproval,
    CourseVersion,
    EvaluationItem,
    Lesson,
    Question,
    QuestionKind,
)
from course.models.corrections import CorrectionKind, CorrectionRequest, CorrectionStatus
from course.models.interop import CredentialStatus, SigningKey
from course.models.learning import (
    AttemptAnswer,
    CheckResponse,
    Enrolment,
    EvaluationAnswer,
    EvaluationResponse,
    LessonProgress,
    PostTestAttempt,
)
from course.models.lti import (
    LtiGradeTarget,
    LtiIdentity,
    LtiLinkLineItem,
    LtiLogin,
    LtiPlatform,
)
from course.models.mail import OutgoingMail
from course.models.outbox import OutboxMessage
from course.models.records import AuditEvent, Certificate, CertificateStatus
from course.models.teams import CourseMember, ReviewRequest, RevisionComment, TeamRole
from course.models.users import (
    BrowserSession,
    RecoveryCode,
    Role,
    SecondFactor,
    SignedInUser,
    SignInThrottle,
    User,
)

__all__ = [
    "AttemptAnswer",
    "AuditEvent",
    "BrowserSession",
    "Certificate",
    "CertificateStatus",
    "CheckResponse",
    "Choice",
    "Course",
    "CorrectionKind",
    "CorrectionRequest",
    "CorrectionStatus",
    "CourseApproval",
    "CourseDraft",
    "CourseMember",
    "CourseVersion",
    "CredentialStatus",
    "DraftRevision",
    "Enrolment",
    "EvaluationAnswer",
    "EvaluationItem",
    "EvaluationResponse",
    "Lesson",
    "LtiGradeTarget",
    "LtiIdentity",
    "LtiLinkLineItem",
    "LtiLogin",
    "LtiPlatform",
    "OutboxMessage",
    "LessonProgress",
    "OutgoingMail",
    "PostTestAttempt",
    "Question",
    "QuestionKind",
    "RecoveryCode",
    "ReviewRequest",
    "RevisionComment",
    "Role",
    "SecondFactor",
    "SignInThrottle",
    "SigningKey",
    "TeamRole",
    "SignedInUser",
    "User",
]
