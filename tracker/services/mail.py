"""Messages to people: recorded once per event (a unique event key), delivered by a job through SMTP, or kept in
the outbox when no mail server is configured (development), and the reminders each person switched off.

`compose` records and never sends; `deliver` is what the `mail.send` job calls.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from flask_babel import force_locale
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from ..enums import MailStatus, NotificationKind
from ..extensions import db
from ..i18n import BABEL_LOCALES, language_for
from ..mail.content import Content, absolute_url, render_parts
from ..models import MailMessage, NotificationOptOut, User, utcnow
from . import jobs
from .paging import Page, paginate

MAX_ATTEMPTS = 5
BATCH = 500  # messages per delivery job
# Messages that carry a link setting a password: their bodies are blanked once delivered.
SENSITIVE = {NotificationKind.INVITATION.value, NotificationKind.PASSWORD_RESET.value}
UNSUBSCRIBE_SALT = "tracker.unsubscribe"


def mandatory_kinds() -> set[str]:
    raw = current_app.config.get("NOTIFICATIONS_MANDATORY", "")
    return {part.strip() for part in raw.split(",") if part.strip()}


def wants(user_id: int, kind: NotificationKind, opted_out: set[tuple[int, str]] | None = None) -> bool:
    """Whether the person receives this kind: always for mandatory and non-reminder kinds, else unless they
    switched it off. `opted_out` is a preloaded set of (user id, kind) for batch work."""
    if not kind.optional or kind.value in mandatory_kinds():
        return True
    if opted_out is not None:
        return (user_id, kind.value) not in opted_out
    return not db.session.scalar(
        select(func.count())
        .select_from(NotificationOptOut)
        .where(NotificationOptOut.user_id == user_id, NotificationOptOut.kind == kind.value)
    )


def all_opt_outs() -> set[tuple[int, str]]:
    return set(map(tuple, db.session.execute(select(NotificationOptOut.user_id, NotificationOptOut.kind))))


def in_language_of(user: User):
    language = language_for(user)
    return force_locale(BABEL_LOCALES.get(language, language))


def prepare(
    kind: NotificationKind,
    user: User,
    event_key: str,
    build,
    *,
    opted_out: set[tuple[int, str]] | None = None,
) -> MailMessage | None:
    """The message for one event, in the recipient's language (`build()` returns its Content and is called in
    that language), not yet recorded; None when the person does not want this kind."""
    if not user.active or not wants(user.id, kind, opted_out):
        return None
    with in_language_of(user):
        content: Content = build()
        unsubscribe = unsubscribe_url(user, kind) if kind.optional else None
        text, html = render_parts(content, unsubscribe)
    return MailMessage(
        kind=kind.value,
        event_key=event_key,
        user_id=user.id,
        to_address=user.email,
        subject=content.subject,
        body_text=text,
        body_html=html,
        unsubscribe_url=unsubscribe,
        status=MailStatus.QUEUED.value,
    )


def recorded_keys(keys) -> set[str]:
    """Which of these event keys have a message already (looked up in chunks)."""
    keys = list(keys)
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        found.update(db.session.scalars(select(MailMessage.event_key).where(MailMessage.event_key.in_(chunk))))
    return found


COLUMNS = (
    "kind",
    "event_key",
    "user_id",
    "to_address",
    "subject",
    "body_text",
    "body_html",
    "unsubscribe_url",
    "webhook_url",
    "status",
)


def record(messages: list[MailMessage], chunk: int = 500) -> list[int]:
    """Insert messages (a multi-row INSERT per chunk); one whose event key was recorded meanwhile (another
    consumer) is dropped, the unique key deciding. Each message gets its id. Returns the ids recorded."""
    ids: list[int] = []
    # Ids are matched by event key: asking the database for rows in parameter order would send them one by one.
    statement = insert(MailMessage).returning(MailMessage.event_key, MailMessage.id)
    for start in range(0, len(messages), chunk):
        part = messages[start : start + chunk]
        rows = [{name: getattr(m, name) for name in COLUMNS} | {"created_at": utcnow()} for m in part]
        new_ids: dict[str, int] = {}
        try:
            with db.session.begin_nested():
                new_ids.update(tuple(row) for row in db.session.execute(statement, rows))
        except IntegrityError:  # someone recorded some of these at the same moment: one by one
            for row in rows:
                try:
                    with db.session.begin_nested():
                        new_ids.update(tuple(r) for r in db.session.execute(statement, [row]))
                except IntegrityError:
                    pass
        for message in part:
            message.id = new_ids.get(message.event_key)
            if message.id is not None:
                ids.append(message.id)
    return ids


def compose(kind: NotificationKind, user: User, event_key: str, build) -> MailMessage | None:
    """Record the message for one event and submit its delivery. None when the event had a message already
    (the unique key, also under races) or the person does not want this kind."""
    if recorded_keys([event_key]):
        return None
    message = prepare(kind, user, event_key, build)
    if message is None:
        return None
    ids = record([message])
    if not ids:
        return None
    submit_delivery(ids)
    return db.session.get(MailMessage, ids[0])


def submit_delivery(message_ids: list[int]) -> None:
    for start in range(0, len(message_ids), BATCH):
        jobs.submit("mail.send", {"message_ids": message_ids[start : start + BATCH]})


# --- delivery (the `mail.send` job commits each outcome: see tracker/jobs/mail.py) -------------------------------


def claim(message_id: int) -> MailMessage | None:
    """Take a queued message for sending (a conditional UPDATE: two consumers never both send it)."""
    claimed = db.session.execute(
        update(MailMessage)
        .where(MailMessage.id == message_id, MailMessage.status == MailStatus.QUEUED.value)
        .values(status=MailStatus.SENDING.value, attempts=MailMessage.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    if not claimed.rowcount:
        return None
    return db.session.get(MailMessage, message_id, populate_existing=True)


def keep_in_outbox(message: MailMessage) -> None:
    message.status = MailStatus.OUTBOX.value


def mark_sent(message: MailMessage, now: datetime | None = None) -> None:
    message.status = MailStatus.SENT.value
    message.sent_at = now or utcnow()
    message.error = None
    if message.kind in SENSITIVE:
        message.body_text = message.body_html = ""


def mark_failed(message: MailMessage, error: str) -> bool:
    """Record a failed try. Returns whether it will be tried again."""
    message.error = error[:2000]
    if message.attempts >= MAX_ATTEMPTS:
        message.status = MailStatus.FAILED.value
        return False
    message.status = MailStatus.QUEUED.value
    return True


# --- reading -------------------------------------------------------------------------------------------------------


def list_messages(status: str | None, page: int, per_page: int = 50) -> Page[MailMessage]:
    query = select(MailMessage).order_by(MailMessage.id.desc())
    if status:
        query = query.where(MailMessage.status == status)
    return paginate(query, page, per_page)


# --- choosing reminders ----------------------------------------------------------------------------------------------


def opt_outs_of(user: User) -> set[str]:
    return set(db.session.scalars(select(NotificationOptOut.kind).where(NotificationOptOut.user_id == user.id)))


def set_preferences(user: User, wanted: set[str]) -> None:
    """Switch off every optional, non-mandatory kind not in `wanted` (mandatory kinds stay on)."""
    choosable = {kind.value for kind in NotificationKind.reminders()} - mandatory_kinds()
    off = choosable - wanted
    db.session.execute(
        delete(NotificationOptOut).where(NotificationOptOut.user_id == user.id, NotificationOptOut.kind.not_in(off))
    )
    current = opt_outs_of(user)
    for kind in sorted(off - current):
        db.session.add(NotificationOptOut(user_id=user.id, kind=kind))
    db.session.flush()


def _unsubscribe_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT)


def unsubscribe_url(user: User, kind: NotificationKind) -> str:
    token = _unsubscribe_serializer().dumps({"u": user.id, "k": kind.value})
    return absolute_url("notification_settings.unsubscribe", token=token)


def read_unsubscribe_token(token: str) -> tuple[User, NotificationKind] | None:
    try:
        data = _unsubscribe_serializer().loads(token)
        kind = NotificationKind(data["k"])
        user = db.session.get(User, int(data["u"]))
    except (BadSignature, KeyError, ValueError, TypeError):
        return None
    if user is None or not kind.optional:
        return None
    return user, kind


def unsubscribe(user: User, kind: NotificationKind) -> bool:
    """Switch one kind off (from a message's link). False when the organisation made it mandatory."""
    if kind.value in mandatory_kinds():
        return False
    if kind.value not in opt_outs_of(user):
        db.session.add(NotificationOptOut(user_id=user.id, kind=kind.value))
        db.session.flush()
    return True
