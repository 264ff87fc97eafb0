"""Choosing the interface language: for a signed-in person their preference, for a visitor this browser session."""

from __future__ import annotations

from flask import Blueprint, redirect, request, session, url_for
from flask_login import current_user

from ..extensions import db
from ..forms import ConfirmForm
from ..i18n import SESSION_KEY, language_of
from ..services import FieldError, accounts
from . import is_safe_next

bp = Blueprint("language", __name__)


@bp.route("/language", methods=["POST"])
def choose():
    back = request.form.get("next")
    target = back if is_safe_next(back) else url_for("learner.dashboard")
    language = language_of(request.form.get("language"))
    if ConfirmForm().validate_on_submit() and language:
        if current_user.is_authenticated:
            try:
                accounts.set_language(current_user, language)
            except FieldError:
                return redirect(target)
            db.session.commit()
        else:
            session[SESSION_KEY] = language
    return redirect(target)
