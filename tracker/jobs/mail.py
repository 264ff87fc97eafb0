"""Delivering recorded messages, and sending invitations in bulk."""

from __future__ import annotations

import smtplib

from flask import current_app

from ..extensions import db
from ..mail import smtp, webhooks
from ..models import Job, User
from ..services import invitations, mail
from . import handler, progress


class DeliveryIncomplete(Exception):
    """Some messages could not be handed to the mail server; the job is retried for them."""


@handler("mail.send")
def send(job: Job) -> None:
    # Each message is claimed and its outcome committed on its own: a message handed to two consumers goes out
    # once, and a crash after sending never sends it again.
    ids = [int(i) for i in job.params.get("message_ids", [])]
    connection = smtp.Connection(current_app.config) if smtp.configured(current_app.config) else None
    sent = kept = retry = failed = 0
    try:
        for message_id in ids:
            message = mail.claim(message_id)
            db.session.commit()
            if message is None:
                continue
            if message.webhook_url is None and connection is None:
                mail.keep_in_outbox(message)
                kept += 1
            else:
                try:
                    if message.webhook_url is not None:
                        webhooks.post(message.webhook_url, f"{message.subject}\n\n{message.body_text}")
                    else:
                        connection.send(message)
                except (smtplib.SMTPException, OSError, webhooks.WebhookRefused) as exc:
                    if connection is not None:
                        connection.close()
                    if mail.mark_failed(message, f"{type(exc).__name__}: {exc}"):
                        retry += 1
                    else:
                        failed += 1
                else:
                    mail.mark_sent(message)
                    sent += 1
            db.session.commit()
    finally:
        if connection is not None:
            connection.close()
    job.summary = f"sent {sent}, kept in outbox {kept}, to retry {retry}, failed {failed}"
    if retry:
        raise DeliveryIncomplete(job.summary)


@handler("invitations.send")
def send_invitations(job: Job) -> None:
    actor = db.session.get(User, job.requested_by_id) if job.requested_by_id else None
    user_ids = job.params.get("user_ids")
    people = invitations.pending_people() if user_ids is None else invitations.people_by_ids(user_ids)
    job.progress_total = len(people)
    sent = 0
    for index, person in enumerate(people, start=1):
        if invitations.invite(person, actor) is not None:
            sent += 1
        if index % 100 == 0:
            progress(job, index, len(people))
    job.summary = f"{sent} invitations"
