"""Policies for every learner: read the current version, acknowledge it, see one's own acknowledgements; and the
page that states the privacy settings to everyone."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..authz import get_policy_or_404, get_policy_version_or_404
from ..extensions import db
from ..forms import options
from ..forms.programme import AcknowledgeForm
from ..services import DomainError
from ..services.programme import policies, privacy

bp = Blueprint("policies", __name__, url_prefix="/policies")


@bp.route("/")
@login_required
def index():
    return render_template(
        "policies/index.html",
        statuses=policies.statuses_for(current_user),
        history=policies.acknowledgements_of(current_user),
    )


def _form(version) -> AcknowledgeForm:
    form = AcknowledgeForm()
    form.answer.choices = options(enumerate(version.check_choices))
    if version.check_question:
        form.answer.label.text = version.check_question
    return form


def _render_show(policy, version, form, status: int = 200):
    current = policies.current_version(policy)
    mine = next((s for s in policies.statuses_for(current_user) if s.policy.id == policy.id), None)
    return render_template(
        "policies/show.html", policy=policy, version=version, current=current, status_for_me=mine, form=form
    ), status


@bp.route("/<policy_slug>")
@login_required
def show(policy_slug: str):
    policy = get_policy_or_404(policy_slug)
    number = request.args.get("version", type=int)
    version = get_policy_version_or_404(policy, number) if number else policies.current_version(policy)
    return _render_show(policy, version, _form(version))


@bp.route("/<policy_slug>/versions/<int:number>/acknowledge", methods=["POST"])
@login_required
def acknowledge(policy_slug: str, number: int):
    policy = get_policy_or_404(policy_slug)
    version = get_policy_version_or_404(policy, number)
    form = _form(version)
    if not form.validate_on_submit():
        return _render_show(policy, version, form, status=400)
    try:
        _record, created = policies.acknowledge(
            current_user, version, answer=form.answer.data, ip_address=request.remote_addr, channel="web"
        )
    except DomainError as exc:
        form.answer.errors = [*form.answer.errors, str(exc)]
        return _render_show(policy, version, form, status=400)
    db.session.commit()
    flash(
        _("Thank you: your acknowledgement of version %(number)s is recorded.", number=version.number)
        if created
        else _("You had already acknowledged this version."),
        "success",
    )
    return redirect(url_for("policies.index"))


@bp.route("/privacy")
@login_required
def privacy_page():
    return render_template("policies/privacy.html", settings=privacy.settings())
