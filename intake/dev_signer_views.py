"""The development signer: a page that plays the residents' signer app on the same phone
(DEVELOPMENT ONLY: JPKI_DEV_SIGNER on, never in production; 404 otherwise).

It opens from the signing step's link (SIGNER_APP_URL_TEMPLATE's default when the development
signer is on): ``/dev/signer?fetch_url=…&key=…&return_url=…``. Like a vendor's app it takes the
fetch URL and the one-time key, asks for what to sign (the same checks as GET …/signing), shows it,
signs it with a test card of the development CA (intake/devca.py), posts the signature (verified
as POST …/signature verifies every app's: trust anchors, CRLs) and sends the resident back to the
return URL. Only this site's fetch URL and the application's own return URL are followed.
"""
from __future__ import annotations

import base64
import json

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l

from core.city import city
from core.errors import AppError
from intake import applications, devca, signer
from intake.api import current_form
from intake.models import Application

bp = Blueprint("dev_signer", __name__, template_folder="templates")
NOT_OURS = _l("このリンクは開発用の署名アプリでは開けません。申請のページのリンクから開いてください。")


def _guard() -> None:
    if signer.dev_ca_dir() is None:
        abort(404)


def _values() -> dict[str, str]:
    source = request.form if request.method == "POST" else request.args
    return {name: str(source.get(name, ""))[:600] for name in ("fetch_url", "key", "return_url")}


def _open(values: dict[str, str]) -> Application:
    """The application the link names, for its key (AppError: the API's refusals, or not ours)."""
    app_id = signer.app_id_of_fetch_url(values["fetch_url"])
    if app_id is None:
        raise AppError("invalid_request", NOT_OURS, 400)
    application = signer.authorize(app_id, values["key"])
    if values["return_url"] and not signer.is_return_url(values["return_url"], application):
        raise AppError("invalid_request", NOT_OURS, 400)
    return application


def _page(values: dict[str, str], task: dict | None = None, error: str | None = None, status: int = 200):
    return render_template("intake/dev_signer.html", values=values, task=task, error=error), status


@bp.get("/dev/signer")
def dev_signer():
    _guard()
    values = _values()
    try:
        application = _open(values)
        form = current_form(application.procedure_id)
        task = signer.signing_task(application, form.procedure.name.get(getattr(g, "locale", "ja")) if form else None)
    except AppError as exc:
        return _page(values, error=exc.text(), status=exc.status)
    shown = json.dumps(json.loads(application.payload), ensure_ascii=False, indent=2)
    return _page(values | {"return_url": task["return_url"]},
                 task | {"shown": shown, "back": url_for("intake.sign", app_id=application.id)})


@bp.post("/dev/signer")
def dev_sign():
    _guard()
    values = _values()
    try:
        application = _open(values)
        resident = city().sample_resident
        directory = signer.dev_ca_dir()
        ca, card = devca.demo_card(directory, applications.values(application), resident.name, resident.address)
        signature = card.sign(application.payload.encode("utf-8"))
        form = current_form(application.procedure_id)
        signer.accept(application, {"certificate": card.pem, "signature": base64.b64encode(signature).decode(),
                                    "chain": ca.chain_pems}, form.signature_items if form else None)
    except AppError as exc:
        return _page(values, error=exc.text(), status=exc.status)
    return redirect(url_for("intake.sign", app_id=application.id), 303)  # the return URL's page, on this host
