"""Public verification of certificates (by code, the QR code's target, or by uploading the PDF itself) and of
evidence packs (by uploading the ZIP: checked with the organisation's public key only)."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, url_for

from ..extensions import issuing, limiter
from ..forms.certificates import VerifyCodeForm, VerifyFileForm
from ..forms.programme import VerifyPackForm
from ..services import certification
from ..services.certification import verification
from ..services.programme import pack_verification

bp = Blueprint("verify", __name__, url_prefix="/verify")


def verify_limit() -> str:
    return current_app.config["VERIFY_RATE_LIMIT"]


@bp.route("/", methods=["GET"])
@limiter.limit(verify_limit)
def index():
    code_form = VerifyCodeForm(request.args)
    if request.args.get("code"):
        code = certification.normalise_code(request.args["code"])
        if code:
            return redirect(url_for("verify.show", code=code))
        code_form.code.errors = ["This is not a certificate code. Codes look like 7KQ2M-X9HDC-4RTVB-N8WFZ."]
    return render_template(
        "verify/index.html",
        code_form=code_form,
        file_form=VerifyFileForm(formdata=None),
        pack_form=VerifyPackForm(formdata=None),
    )


@bp.route("/", methods=["POST"])
@limiter.limit(verify_limit)
def check_file():
    form = VerifyFileForm()
    if not form.validate_on_submit():
        return render_template(
            "verify/index.html",
            code_form=VerifyCodeForm(formdata=None),
            file_form=form,
            pack_form=VerifyPackForm(formdata=None),
        ), 400
    result = verification.check_pdf(form.file.data.read())
    return render_template("verify/file.html", result=result, status=certification.status)


@bp.route("/evidence-pack", methods=["POST"])
@limiter.limit(verify_limit)
def check_evidence_pack():
    form = VerifyPackForm()
    if not form.validate_on_submit():
        return render_template(
            "verify/index.html",
            code_form=VerifyCodeForm(formdata=None),
            file_form=VerifyFileForm(formdata=None),
            pack_form=form,
        ), 400
    # Only the public half of the issuer key is handed to the check.
    public_key = issuing.current.key.public_key_multibase
    result = pack_verification.verify_pack(form.pack.data.read(), public_key)
    return render_template("verify/evidence_pack.html", result=result, public_key=public_key)


@bp.route("/<code>")
@limiter.limit(verify_limit)
def show(code: str):
    cert = verification.find_by_code(code)
    if cert is None:
        return render_template("verify/not_found.html", code=code), 404
    return render_template(
        "verify/show.html",
        cert=cert,
        status=certification.status(cert),
        current=verification.latest_revision(cert) if cert.superseded_at else None,
    )
