"""The words of each notification (called inside the recipient's language)."""

from __future__ import annotations

from datetime import date

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext

from ...i18n import localdate
from ...mail.content import Action, Content, absolute_url


def _hello(name: str) -> str:
    return _("Hello %(name)s,", name=name)


def _dashboard() -> Action:
    return Action(_("Open your training"), absolute_url("learner.dashboard"))


def assignment_created(name: str, title: str, due_on: date) -> Content:
    return Content(
        subject=_("New training for you: %(title)s", title=title),
        greeting=_hello(name),
        paragraphs=[
            _("You have been asked to complete “%(title)s” by %(date)s.", title=title, date=localdate(due_on, "long"))
        ],
        action=_dashboard(),
    )


def due_soon(name: str, title: str, due_on: date, days_left: int) -> Content:
    when = _("today") if days_left <= 0 else ngettext("in %(num)d day", "in %(num)d days", days_left)
    return Content(
        subject=_("Due %(when)s: %(title)s", when=when, title=title),
        greeting=_hello(name),
        paragraphs=[_("“%(title)s” is due on %(date)s.", title=title, date=localdate(due_on, "long"))],
        action=_dashboard(),
    )


def overdue(name: str, title: str, due_on: date) -> Content:
    return Content(
        subject=_("Overdue: %(title)s", title=title),
        greeting=_hello(name),
        paragraphs=[
            _("“%(title)s” was due on %(date)s and is not complete yet.", title=title, date=localdate(due_on, "long"))
        ],
        action=_dashboard(),
    )


def escalation(manager: str, person: str, title: str, due_on: date, days_over: int) -> Content:
    return Content(
        subject=_("%(person)s is overdue with %(title)s", person=person, title=title),
        greeting=_hello(manager),
        paragraphs=[
            ngettext(
                "%(person)s has not completed “%(title)s”, due on %(date)s: %(num)d day overdue.",
                "%(person)s has not completed “%(title)s”, due on %(date)s: %(num)d days overdue.",
                days_over,
                person=person,
                title=title,
                date=localdate(due_on, "long"),
            )
        ],
        action=Action(_("Open team progress"), absolute_url("manager.dashboard")),
    )


def certificate_issued(name: str, title: str, code: str) -> Content:
    return Content(
        subject=_("Your certificate for %(title)s", title=title),
        greeting=_hello(name),
        paragraphs=[_("Well done: you completed “%(title)s” and your certificate is issued.", title=title)],
        action=Action(_("Download your certificate"), absolute_url("certificates.pdf", code=code)),
        footer=_("Anyone can check it at %(url)s", url=absolute_url("verify.show", code=code)),
    )


def certificate_expiring(name: str, title: str, expires: date, days_left: int) -> Content:
    return Content(
        subject=_("Your certificate for %(title)s expires soon", title=title),
        greeting=_hello(name),
        paragraphs=[
            ngettext(
                "Your certificate for “%(title)s” expires on %(date)s, in %(num)d day. "
                "Renew it by taking the course again.",
                "Your certificate for “%(title)s” expires on %(date)s, in %(num)d days. "
                "Renew it by taking the course again.",
                days_left,
                title=title,
                date=localdate(expires, "long"),
            )
        ],
        action=Action(_("See your certificates"), absolute_url("certificates.mine")),
    )


def certificate_expired(name: str, title: str, expired: date) -> Content:
    return Content(
        subject=_("Your certificate for %(title)s has expired", title=title),
        greeting=_hello(name),
        paragraphs=[
            _(
                "Your certificate for “%(title)s” expired on %(date)s. Take the course again to renew it.",
                title=title,
                date=localdate(expired, "long"),
            )
        ],
        action=_dashboard(),
    )


def reissued(name: str, title: str, code: str) -> Content:
    return Content(
        subject=_("Your certificate for %(title)s is reissued", title=title),
        greeting=_hello(name),
        paragraphs=[_("Your request is decided: the certificate for “%(title)s” is reissued.", title=title)],
        action=Action(_("Download your certificate"), absolute_url("certificates.pdf", code=code)),
    )


def name_request_decided(name: str, approved: bool, requested: str, note: str) -> Content:
    paragraphs = [
        _(
            "Your request to print “%(requested)s” on your certificates is approved; they are reissued with it.",
            requested=requested,
        )
        if approved
        else _("Your request to print “%(requested)s” on your certificates is declined.", requested=requested)
    ]
    if note:
        paragraphs.append(_("Note from the administrator: %(note)s", note=note))
    return Content(
        subject=_("Your request about the name on your certificates is decided"),
        greeting=_hello(name),
        paragraphs=paragraphs,
        action=Action(_("See your certificates"), absolute_url("certificates.mine")),
    )


def digest(manager: str, overdue: list[str], expiring: list[str], completed: list[str]) -> Content:
    organisation = current_app.config["ORGANISATION_NAME"]
    paragraphs = [
        ngettext("%(num)d course assignment is overdue.", "%(num)d course assignments are overdue.", len(overdue)),
        ngettext(
            "%(num)d certificate expires within 30 days.", "%(num)d certificates expire within 30 days.", len(expiring)
        ),
        ngettext(
            "%(num)d course was completed this week.", "%(num)d courses were completed this week.", len(completed)
        ),
    ]
    items = [_("Overdue: %(what)s", what=line) for line in overdue[:20]]
    items += [_("Expiring: %(what)s", what=line) for line in expiring[:20]]
    items += [_("Completed: %(what)s", what=line) for line in completed[:20]]
    return Content(
        subject=_("Weekly training digest of your teams at %(organisation)s", organisation=organisation),
        greeting=_hello(manager),
        paragraphs=paragraphs,
        items=items,
        action=Action(_("Open team progress"), absolute_url("manager.dashboard")),
    )
