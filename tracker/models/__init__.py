"""Typed ORM models. Importing this package registers every table on the metadata."""

from .assignments import Assignment
from .audit import AuditEvent
from .certificates import Certificate, Completion
from .courses import Course, LearningPath, LearningPathCourse, Lesson, Module
from .jobs import Job
from .mail import MailMessage, NotificationOptOut
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
    "Job",
    "LearningPath",
    "LearningPathCourse",
    "Lesson",
    "LessonRead",
    "MailMessage",
    "Module",
    "NameChangeRequest",
    "NotificationOptOut",
    "Question",
    "Quiz",
    "Role",
    "Team",
    "UTCDateTime",
    "User",
    "UserSession",
    "utcnow",
]
