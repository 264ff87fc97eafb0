"""Typed ORM models. Importing this package registers every table on the metadata."""

from .assignments import Assignment
from .audit import AuditEvent
from .certificates import Certificate, Completion
from .content_versions import CourseDraft, CourseVersion
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
from .jobs import Job
from .mail import MailMessage, NotificationOptOut
from .matrix import CoverageCell, CoveragePerson, CoverageTally, MatrixCell, MatrixPerson, MatrixTally
from .programme import (
    AISystem,
    AISystemChange,
    AISystemJobRole,
    AISystemTeam,
    Policy,
    PolicyAcknowledgement,
    PolicyVersion,
    PrivacySettings,
    TrainingRequirement,
)
from .progress import CourseProgress, LessonRead
from .quizzes import Attempt, AttemptGrant, Question, Quiz
from .sessions import UserSession
from .types import UTCDateTime, utcnow
from .users import ApiToken, NameChangeRequest, Role, Team, User, team_managers

__all__ = [
    "AISystem",
    "AISystemChange",
    "AISystemJobRole",
    "AISystemTeam",
    "ApiToken",
    "Assignment",
    "Attempt",
    "AttemptGrant",
    "AuditEvent",
    "Certificate",
    "Completion",
    "Course",
    "CourseDraft",
    "CourseProgress",
    "CourseVersion",
    "CoverageCell",
    "CoveragePerson",
    "CoverageTally",
    "ExternalIdentity",
    "IssuerKeyRecord",
    "Job",
    "LearningPath",
    "LearningPathCourse",
    "Lesson",
    "LessonRead",
    "MailMessage",
    "MatrixCell",
    "MatrixPerson",
    "MatrixTally",
    "Module",
    "NameChangeRequest",
    "NotificationOptOut",
    "Policy",
    "PolicyAcknowledgement",
    "PolicyVersion",
    "PrivacySettings",
    "ProvisionedTeam",
    "ProvisionedUser",
    "Question",
    "Quiz",
    "RecoveryCode",
    "Role",
    "SingleSignOnSession",
    "Team",
    "team_managers",
    "TrainingRequirement",
    "TwoFactorCredential",
    "UTCDateTime",
    "UsedSignInNonce",
    "User",
    "UserSession",
    "utcnow",
]
