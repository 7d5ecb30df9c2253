"""Pages and endpoints of payments: the webhook endpoint, the 領収書 page, and the sandbox
provider's hosted checkout (which stands for the payment company's own site)."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, g, jsonify, redirect, render_template, request, url_for
from werkzeug.routing import BuildError

from core.db import db
from core.security import limiter
from intake import links
from intake.models import Application
from intake.payments import provider as p
from intake.payments import receipt as receipts
from intake.payments import service
from intake.payments.sandbox import SandboxProvider

bp = Blueprint("payments", __name__, template_folder="templates")
api_bp = Blueprint("payments_api", __name__, url_prefix="/api/v1/payments")


# --- webhooks -------------------------------------------------------------------------------------

@api_bp.post("/webhooks/<provider_name>")
@limiter.limit("300 per minute")
def webhook(provider_name: str):
    status, body = service.handle_webhook(provider_name, request.headers, request.get_data(cache=False))
    return jsonify(body), status


# --- the receipt ----------------------------------------------------------------------------------

def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # the address is the key to the page
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.get("/apply/status/<token>/receipt")
def receipt(token: str):
    application_id = links.read_status_token(token)
    app = db.session.get(Application, application_id) if application_id else None
    if app is None:
        abort(404)
    payment = service.payment_for(app)
    if payment is None or payment.status not in p.MONEY_TAKEN:
        return _no_store(current_app.make_response(render_template(
            "payments/receipt_pending.html", status_href=_status_href(token),
            waiting=service.awaiting_confirmation(app))))
    view = receipts.build(app, payment)
    return _no_store(current_app.make_response(render_template(
        "payments/receipt.html", r=view, status_href=_status_href(token),
        paid_on_text=receipts.date_text(view.paid_on, getattr(g, "locale", "ja")))))


def _status_href(token: str) -> str | None:
    """The resident's status page (the intake blueprint's), when it is there."""
    try:
        return url_for("intake.status", token=token)
    except BuildError:
        return None


# --- the sandbox provider's hosted checkout -------------------------------------------------------

def _sandbox() -> SandboxProvider:
    try:
        chosen = service.provider("sandbox")
    except service.UnknownProvider:
        abort(404)  # a real provider is configured: the test checkout does not exist
    assert isinstance(chosen, SandboxProvider)
    return chosen


def _charge(sandbox: SandboxProvider, charge_id: str):
    charge = service.sandbox_charge(sandbox, charge_id)
    if charge is None:
        abort(404)
    return charge


@bp.get("/pay/sandbox/<charge_id>")
def sandbox_checkout(charge_id: str):
    charge = _charge(_sandbox(), charge_id)
    response = current_app.make_response(render_template("payments/sandbox_checkout.html", charge=charge))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/pay/sandbox/<charge_id>")
@limiter.limit("30 per minute")
def sandbox_act(charge_id: str):
    sandbox = _sandbox()
    charge = _charge(sandbox, charge_id)
    action = request.form.get("action")
    if action not in ("pay", "cancel"):
        abort(400)
    if not service.sandbox_settle(sandbox, charge, action):  # already paid, canceled or expired: show what happened
        response = current_app.make_response(render_template("payments/sandbox_checkout.html", charge=charge))
        response.headers["Cache-Control"] = "no-store"
        return response
    return redirect(charge.return_url if action == "pay" else charge.cancel_url, code=303)
