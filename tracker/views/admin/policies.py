"""Policies: create a policy, publish new versions, see who acknowledged which version."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...authz import get_policy_or_404, role_required
from ...enums import Role
from ...extensions import db
from ...forms.programme import PolicyForm, PolicyVersionForm
from ...services import FieldError
from ...services.programme import policies

bp = Blueprint("policies", __name__, url_prefix="/policies")


def _render_index(form: PolicyForm, status: int = 200):
    return render_template(
        "admin/policies/index.html",
        policies=policies.policies(),
        counts=policies.acknowledgement_counts(),
        form=form,
    ), status


def _render_show(policy, form: PolicyVersionForm | None = None, status: int = 200):
    current = policies.current_version(policy)
    if form is None:
        form = PolicyVersionForm(formdata=None, data={"body": current.body_markdown if current else ""})
    return render_template(
        "admin/policies/show.html",
        policy=policy,
        current=current,
        versions=list(reversed(policy.versions)),
        counts=policies.acknowledgement_counts(),
        acknowledged=policies.version_acknowledgements(current) if current else [],
        form=form,
    ), status


@bp.route("/")
@role_required(Role.ADMIN)
def index():
    return _render_index(PolicyForm(formdata=None))


@bp.route("/", methods=["POST"])
@role_required(Role.ADMIN)
def create():
    form = PolicyForm()
    if form.validate_on_submit():
        try:
            policy = policies.create_policy(current_user, form.slug.data, form.title.data, form.to_input())
        except FieldError as exc:
            form.error_on(exc.field, str(exc))
        else:
            db.session.commit()
            flash(_("“%(title)s” is published as version 1.", title=policy.title), "success")
            return redirect(url_for("admin.policies.show", policy_slug=policy.slug))
    return _render_index(form, status=400)


@bp.route("/<policy_slug>")
@role_required(Role.ADMIN)
def show(policy_slug: str):
    return _render_show(get_policy_or_404(policy_slug))


@bp.route("/<policy_slug>/versions", methods=["POST"])
@role_required(Role.ADMIN)
def publish(policy_slug: str):
    policy = get_policy_or_404(policy_slug)
    form = PolicyVersionForm()
    if form.validate_on_submit():
        try:
            version = policies.publish_version(current_user, policy, form.to_input())
        except FieldError as exc:
            form.error_on(exc.field, str(exc))
        else:
            db.session.commit()
            flash(
                _("Version %(number)s is published; everyone is asked to acknowledge it.", number=version.number),
                "success",
            )
            return redirect(url_for("admin.policies.show", policy_slug=policy.slug))
    return _render_show(policy, form, status=400)
