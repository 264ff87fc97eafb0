"""The words of a message, built in the recipient's language, and its plain-text and HTML parts.

Every kind of message has the same shape (a greeting, paragraphs, an optional list, one action link), so one
pair of templates renders them all: `templates/mail/message.txt` and `templates/mail/message.html`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from flask import current_app, render_template


@dataclass(frozen=True)
class Action:
    label: str
    url: str


@dataclass(frozen=True)
class Content:
    subject: str
    greeting: str
    paragraphs: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)
    action: Action | None = None
    footer: str = ""


def absolute_url(endpoint: str, **values) -> str:
    """An address on PUBLIC_BASE_URL, built without a request (jobs run outside one)."""
    base = urlsplit(current_app.config["PUBLIC_BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "http")
    return adapter.build(endpoint, values, force_external=True)


def render_parts(content: Content, unsubscribe_url: str | None) -> tuple[str, str]:
    """(plain text, HTML). Autoescaping keeps names and course titles inert in the HTML part."""
    context = {
        "content": content,
        "unsubscribe_url": unsubscribe_url,
        "organisation": current_app.config["ORGANISATION_NAME"],
    }
    return render_template("mail/message.txt", **context), render_template("mail/message.html", **context)
