"""Typed ORM models. Importing this package registers every table on the metadata."""

from .assignments import Assignment
from .audit import AuditEvent
from .certificates import Certificate, Completion
from .courses import Course, LearningPath, LearningPathCourse, Lesson, Module
from .identity import (
    ExternalIdentity,
    ProvisionedTeam,
    ProvisionedUser,
    RecoveryCode,
    SingleSignOnSession,
    TwoFactorCredential,
    UsedSignInNonce,
)
from .issuer_keys import IssuerKeyRecord
from .progress import CourseProgress, LessonRead
from .quizzes import Attempt, AttemptGrant, Question, Quiz
from .sessions import UserSession
from .types import UTCDateTime, utcnow
from .users import ApiToken, NameChangeRequest, Role, Team, User

__all__ = [
    "ApiToken",
    "Assignment",
    "Attempt",
    "AttemptGrant",
    "AuditEvent",
    "Certificate",
    "Completion",
    "Course",
    "CourseProgress",
    "ExternalIdentity",
    "IssuerKeyRecord",
    "LearningPath",
    "LearningPathCourse",
    "Lesson",
    "LessonRead",
    "Module",
    "NameChangeRequest",
    "ProvisionedTeam",
    "ProvisionedUser",
    "Question",
    "Quiz",
    "RecoveryCode",
    "Role",
    "SingleSignOnSession",
    "Team",
    "TwoFactorCredential",
    "UTCDateTime",
    "UsedSignInNonce",
    "User",
    "UserSession",
    "utcnow",
]
