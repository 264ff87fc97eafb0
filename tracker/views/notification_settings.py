"""Which reminders people receive: their choices, and the one-click unsubscribe link of each reminder."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..enums import NotificationKind, Role
from ..extensions import csrf, db
from ..forms import options
from ..forms.notifications import NotificationPreferencesForm
from ..services import mail

bp = Blueprint("notification_settings", __name__)


def _choosable() -> list[NotificationKind]:
    kinds = NotificationKind.reminders()
    if current_user.role == Role.LEARNER:  # the digest and escalations go to managers
        kinds = [k for k in kinds if k not in (NotificationKind.MANAGER_DIGEST, NotificationKind.ESCALATION)]
    return kinds


@bp.route("/account/notifications", methods=["GET", "POST"])
@login_required
def preferences():
    kinds = _choosable()
    mandatory = mail.mandatory_kinds()
    form = NotificationPreferencesForm()
    form.wanted.choices = options((k.value, k.label) for k in kinds if k.value not in mandatory)
    if form.validate_on_submit():
        mail.set_preferences(current_user, set(form.wanted.data or []))
        db.session.commit()
        flash(_("Your choice of reminders is saved."), "success")
        return redirect(url_for("notification_settings.preferences"))
    if not form.is_submitted():
        off = mail.opt_outs_of(current_user)
        form.wanted.data = [choice.value for choice in form.wanted.choices if choice.value not in off]
    return render_template(
        "notification_settings/preferences.html",
        form=form,
        mandatory=[k for k in kinds if k.value in mandatory],
    ), 400 if form.is_submitted() else 200


@bp.route("/notifications/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058: mail clients POST "List-Unsubscribe=One-Click" without a form; the signed token is the proof
def unsubscribe(token: str):
    found = mail.read_unsubscribe_token(token)
    if found is None:
        return render_template("notification_settings/unsubscribe.html", invalid=True), 410
    user, kind = found
    if request.method == "POST":
        done = mail.unsubscribe(user, kind)
        db.session.commit()
        return render_template("notification_settings/unsubscribe.html", kind=kind, done=done, mandatory=not done)
    return render_template("notification_settings/unsubscribe.html", kind=kind, token=token)
