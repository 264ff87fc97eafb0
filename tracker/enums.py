"""Every state vocabulary of the product, in one place. Services, templates and the API schema all use these.

The values are stable identifiers (stored in the database, sent by the API, used in query strings); `label` is
the wording people read.
"""

from __future__ import annotations

from enum import StrEnum

from flask_babel import lazy_gettext as _l

__all__ = [
    "AssignmentTarget",
    "AttemptStatus",
    "CellStatus",
    "CertificateStatus",
    "CoverageStatus",
    "DueRule",
    "ItemFlag",
    "PeopleCount",
    "JobStatus",
    "MailStatus",
    "ManagerVisibility",
    "NotificationKind",
    "OrganisationRole",
    "ProgressStatus",
    "QuestionKind",
    "RequestStatus",
    "ReviewLevel",
    "RiskClass",
    "Role",
    "StepKind",
    "SystemStatus",
]


class Labelled(StrEnum):
    """A StrEnum whose members know the words to show for them."""

    @property
    def label(self) -> str:
        return str(_LABELS[type(self)][self])  # in the language of the request (or the default outside one)

    @classmethod
    def labels(cls) -> dict[Labelled, str]:
        return {member: member.label for member in cls}


class Role(Labelled):
    LEARNER = "learner"
    MANAGER = "manager"
    ADMIN = "admin"


class QuestionKind(Labelled):
    SINGLE = "single"
    MULTIPLE = "multiple"
    TRUE_FALSE = "true_false"


class ProgressStatus(Labelled):
    """Where a learner stands in a module or a course."""

    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"


class StepKind(StrEnum):
    """What the learner's next step in a course is."""

    LESSON = "lesson"
    QUIZ = "quiz"
    DONE = "done"


class AttemptStatus(Labelled):
    OPEN = "open"
    SUBMITTED = "submitted"


class CertificateStatus(Labelled):
    VALID = "valid"
    EXPIRING = "expiring"
    EXPIRED = "expired"
    REVOKED = "revoked"
    SUPERSEDED = "superseded"
    PENDING = "pending"


class CellStatus(Labelled):
    """The status of one person and one course in the manager's matrix, most urgent first."""

    OVERDUE = "overdue"
    EXPIRED = "expired"
    EXPIRING = "expiring"
    IN_PROGRESS = "in_progress"
    NOT_STARTED = "not_started"
    COMPLETED = "completed"

    @property
    def counts_as_done(self) -> bool:
        """Completed for the completion rate: a certificate about to expire is still held."""
        return self in (CellStatus.COMPLETED, CellStatus.EXPIRING)


class PeopleCount(StrEnum):
    """What the matrix's per-team counts of people (not cells) count: the evidence report's headline."""

    ACTIVE = "active"
    INACTIVE = "inactive"
    WITH_COMPLETION = "with_completion"
    WITH_OVERDUE = "with_overdue"

    @classmethod
    def of(cls, active: bool, has_completion: bool, evidence_overdue: bool) -> list[PeopleCount]:
        """The counts a person's summary adds one to (only active people have the report's facts)."""
        if not active:
            return [cls.INACTIVE]
        return [
            cls.ACTIVE,
            *([cls.WITH_COMPLETION] if has_completion else []),
            *([cls.WITH_OVERDUE] if evidence_overdue else []),
        ]


class ReviewLevel(Labelled):
    """How much of a submitted attempt a learner sees: from the score alone to every answer with explanations."""

    SCORE = "score"
    WRONG_QUESTIONS = "wrong_questions"  # which questions were wrong, and the lesson to revisit; not the right choice
    FULL = "full"


class ItemFlag(Labelled):
    """Why item analysis points an author at a quiz question."""

    TOO_EASY = "too_easy"
    TOO_HARD = "too_hard"
    NEGATIVE_DISCRIMINATION = "negative_discrimination"
    UNUSED_DISTRACTOR = "unused_distractor"
    POPULAR_DISTRACTOR = "popular_distractor"


class RequestStatus(Labelled):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class AssignmentTarget(Labelled):
    TEAM = "team"
    PERSON = "person"
    JOB_ROLE = "job_role"


class OrganisationRole(Labelled):
    """The organisation's role for an AI system under the AI Act."""

    PROVIDER = "provider"
    DEPLOYER = "deployer"
    BOTH = "both"


class RiskClass(Labelled):
    """The risk class an organisation recorded for an AI system; `guide` is a short, dated orientation."""

    NOT_ASSESSED = "not_assessed"
    PROHIBITED = "prohibited"
    HIGH_RISK = "high_risk"
    TRANSPARENCY = "transparency"
    MINIMAL = "minimal"

    @property
    def guide(self) -> str:
        return str(_RISK_GUIDES[self])


class SystemStatus(Labelled):
    PILOT = "pilot"
    APPROVED = "approved"
    RETIRED = "retired"

    @property
    def in_use(self) -> bool:
        """People still use pilot and approved systems; a retired one ends its training requirements."""
        return self != SystemStatus.RETIRED


class CoverageStatus(Labelled):
    """One person and one AI system they use, most urgent first."""

    MISSING = "missing"
    EXPIRING = "expiring"
    NO_REQUIREMENT = "no_requirement"
    COVERED = "covered"


class ManagerVisibility(Labelled):
    """What managers see of their people's results (a works-council setting)."""

    STATUS_AND_SCORE = "status_and_score"
    STATUS_ONLY = "status_only"


_RISK_GUIDES = {
    RiskClass.NOT_ASSESSED: _l(
        "No one has assessed this system against the AI Act yet. Record an assessment before wider use."
    ),
    RiskClass.PROHIBITED: _l(
        "A practice banned by Article 5 of the AI Act (applies since 2 February 2025), such as emotion recognition "
        "at work or social scoring; further bans on non-consensual intimate imagery and child sexual abuse "
        "material apply from 2 December 2026. Such a system must not be used."
    ),
    RiskClass.HIGH_RISK: _l(
        "High-risk under Article 6: a safety component of a product covered by Annex I, or a use listed in Annex "
        "III (for example recruitment and worker management, credit scoring, education). As amended by Regulation "
        "(EU) 2026/1744, the Annex III rules apply from 2 December 2027 and the Annex I rules from 2 August 2028; "
        "deployers then owe the Article 26 duties, including human oversight by trained people."
    ),
    RiskClass.TRANSPARENCY: _l(
        "Transparency duties under Article 50: people are told they are dealing with AI (chatbots), and synthetic "
        "or manipulated content is marked or disclosed. Article 50(1), (3) and (4) apply since 2 August 2026."
    ),
    RiskClass.MINIMAL: _l(
        "Minimal risk: no specific duties under the AI Act beyond AI literacy (Article 4) and the bans of Article 5. "
        "Internal rules and data protection law still apply."
    ),
}


class DueRule(Labelled):
    """How an assignment's due date is set: a fixed date, or a number of days after an event of each person."""

    FIXED = "fixed"
    AFTER_ASSIGNED = "after_assigned"  # of the assignment reaching the person (newcomers: of their arrival)
    AFTER_JOINING = "after_joining"  # of the person joining their team


class JobStatus(Labelled):
    QUEUED = "queued"
    RUNNING = "running"
    RETRYING = "retrying"  # failed, and will run again after a pause
    DONE = "done"
    FAILED = "failed"  # failed on its last try; an admin may run it again

    @property
    def finished(self) -> bool:
        return self in (JobStatus.DONE, JobStatus.FAILED)


class MailStatus(Labelled):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    OUTBOX = "outbox"  # no mail server configured: kept for admins to read in the app


class NotificationKind(Labelled):
    """Every kind of message the product sends. Reminders (`optional`) can be switched off by each person unless
    the organisation made them mandatory; they carry a List-Unsubscribe header."""

    INVITATION = "invitation"
    PASSWORD_RESET = "password_reset"  # noqa: S105  (a kind of message, not a secret)
    ASSIGNMENT_CREATED = "assignment_created"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    CERTIFICATE_ISSUED = "certificate_issued"
    CERTIFICATE_EXPIRING = "certificate_expiring"
    CERTIFICATE_EXPIRED = "certificate_expired"
    REISSUE_DECIDED = "reissue_decided"
    MANAGER_DIGEST = "manager_digest"
    ESCALATION = "escalation"

    @property
    def optional(self) -> bool:
        return self not in (NotificationKind.INVITATION, NotificationKind.PASSWORD_RESET)

    @classmethod
    def reminders(cls) -> list[NotificationKind]:
        return [kind for kind in cls if kind.optional]


_LABELS: dict[type, dict] = {
    Role: {Role.LEARNER: _l("Learner"), Role.MANAGER: _l("Manager"), Role.ADMIN: _l("Admin")},
    QuestionKind: {
        QuestionKind.SINGLE: _l("one answer"),
        QuestionKind.MULTIPLE: _l("several answers"),
        QuestionKind.TRUE_FALSE: _l("true or false"),
    },
    ProgressStatus: {
        ProgressStatus.NOT_STARTED: _l("Not started"),
        ProgressStatus.IN_PROGRESS: _l("In progress"),
        ProgressStatus.COMPLETED: _l("Complete"),
    },
    AttemptStatus: {AttemptStatus.OPEN: _l("Open"), AttemptStatus.SUBMITTED: _l("Submitted")},
    CertificateStatus: {
        CertificateStatus.VALID: _l("Valid"),
        CertificateStatus.EXPIRING: _l("Expiring within 30 days"),
        CertificateStatus.EXPIRED: _l("Expired"),
        CertificateStatus.REVOKED: _l("Revoked"),
        CertificateStatus.SUPERSEDED: _l("Superseded"),
        CertificateStatus.PENDING: _l("Being prepared"),
    },
    CellStatus: {
        CellStatus.OVERDUE: _l("Overdue"),
        CellStatus.EXPIRED: _l("Certificate expired"),
        CellStatus.EXPIRING: _l("Certificate expiring"),
        CellStatus.IN_PROGRESS: _l("In progress"),
        CellStatus.NOT_STARTED: _l("Not started"),
        CellStatus.COMPLETED: _l("Completed"),
    },
    ReviewLevel: {
        ReviewLevel.SCORE: _l("The score only"),
        ReviewLevel.WRONG_QUESTIONS: _l("Which questions were wrong, and the lesson to revisit"),
        ReviewLevel.FULL: _l("Every answer, the right choices and the explanations"),
    },
    ItemFlag: {
        ItemFlag.TOO_EASY: _l("Too easy: almost everyone answers it correctly"),
        ItemFlag.TOO_HARD: _l("Too hard: most answer it wrongly (check the key and the wording)"),
        ItemFlag.NEGATIVE_DISCRIMINATION: _l("Those who do well on the rest of the quiz get it wrong more often"),
        ItemFlag.UNUSED_DISTRACTOR: _l("A wrong choice nobody picks"),
        ItemFlag.POPULAR_DISTRACTOR: _l("A wrong choice picked more often than a right one"),
    },
    RequestStatus: {
        RequestStatus.PENDING: _l("Waiting for a decision"),
        RequestStatus.APPROVED: _l("Approved"),
        RequestStatus.REJECTED: _l("Rejected"),
    },
    AssignmentTarget: {
        AssignmentTarget.TEAM: _l("A team (and the teams below it)"),
        AssignmentTarget.PERSON: _l("A person"),
        AssignmentTarget.JOB_ROLE: _l("Everyone with a job role"),
    },
    OrganisationRole: {
        OrganisationRole.PROVIDER: _l("Provider"),
        OrganisationRole.DEPLOYER: _l("Deployer"),
        OrganisationRole.BOTH: _l("Provider and deployer"),
    },
    RiskClass: {
        RiskClass.NOT_ASSESSED: _l("Not assessed"),
        RiskClass.PROHIBITED: _l("Prohibited practice (Art. 5)"),
        RiskClass.HIGH_RISK: _l("High-risk (Annex I or III)"),
        RiskClass.TRANSPARENCY: _l("Transparency duties (Art. 50)"),
        RiskClass.MINIMAL: _l("Minimal risk"),
    },
    SystemStatus: {
        SystemStatus.PILOT: _l("Pilot"),
        SystemStatus.APPROVED: _l("Approved"),
        SystemStatus.RETIRED: _l("Retired"),
    },
    CoverageStatus: {
        CoverageStatus.MISSING: _l("Training or acknowledgement missing"),
        CoverageStatus.EXPIRING: _l("Expiring"),
        CoverageStatus.NO_REQUIREMENT: _l("No requirement set"),
        CoverageStatus.COVERED: _l("Trained and acknowledged"),
    },
    ManagerVisibility: {
        ManagerVisibility.STATUS_AND_SCORE: _l("Status and score"),
        ManagerVisibility.STATUS_ONLY: _l("Status only"),
    },
    DueRule: {
        DueRule.FIXED: _l("By a fixed date"),
        DueRule.AFTER_ASSIGNED: _l("Within a number of days of being assigned"),
        DueRule.AFTER_JOINING: _l("Within a number of days of joining the team"),
    },
    JobStatus: {
        JobStatus.QUEUED: _l("Queued"),
        JobStatus.RUNNING: _l("Running"),
        JobStatus.RETRYING: _l("Failed, will try again"),
        JobStatus.DONE: _l("Done"),
        JobStatus.FAILED: _l("Failed"),
    },
    MailStatus: {
        MailStatus.QUEUED: _l("Queued"),
        MailStatus.SENDING: _l("Sending"),
        MailStatus.SENT: _l("Delivered to the mail server"),
        MailStatus.FAILED: _l("Failed"),
        MailStatus.OUTBOX: _l("Kept in the outbox (no mail server)"),
    },
    NotificationKind: {
        NotificationKind.INVITATION: _l("Invitation"),
        NotificationKind.PASSWORD_RESET: _l("Password reset"),
        NotificationKind.ASSIGNMENT_CREATED: _l("A course is assigned to me"),
        NotificationKind.DUE_SOON: _l("An assigned course is due soon"),
        NotificationKind.OVERDUE: _l("An assigned course is overdue"),
        NotificationKind.CERTIFICATE_ISSUED: _l("A certificate is issued to me"),
        NotificationKind.CERTIFICATE_EXPIRING: _l("A certificate of mine expires soon"),
        NotificationKind.CERTIFICATE_EXPIRED: _l("A certificate of mine has expired"),
        NotificationKind.REISSUE_DECIDED: _l("My reissue request is decided"),
        NotificationKind.MANAGER_DIGEST: _l("Weekly digest of my teams (managers)"),
        NotificationKind.ESCALATION: _l("Someone in my teams is long overdue (managers)"),
    },
}
