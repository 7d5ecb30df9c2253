"""The resident's online application: start → one section per page → 確認 → 署名 → (支払い) → 申請
→ 受付番号; the status page behind a secret link; resume links; withdrawal.

Views stay thin: the rules are in ``intake.applications`` (the service), ``intake.workflow``,
``intake.forms`` and ``intake.web_forms`` (the WTForms forms). Drafts this browser started (or
reopened from a link) are listed in the Flask session; nothing else opens them.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
import secrets
import unicodedata
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, current_app, g, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext
from rapidfuzz import fuzz
from sqlalchemy import select
from werkzeug.datastructures import CombinedMultiDict
from werkzeug.routing import BuildError

from core import postcode, usage
from core.city import city
from core.db import db
from core.japan_time import japanese_moment, today_in_japan
from core.links import external_url
from core.pack import rulebook
from core.qr import labelled_qr
from core.security import limiter
from core.uploads import draft_caps, upload_limit
from core.words import text as translate
from intake import applications, devca, dispatch, jpki, links, resident_actions, signer, web_forms, workflow
from intake.forms import Form, fee_total, is_shown, section_shown, unit_fee
from intake.forms_current import current_forms
from intake.models import Application, ApplicationAttachment
from intake.signature_check import read_files

bp = Blueprint("intake", __name__, template_folder="templates")
DRAFTS = "apply_drafts"  # session key: ids of the drafts this browser may open
MAX_DRAFTS = 20
EDITABLE = (workflow.DRAFT, workflow.SIGNED, workflow.CORRECTION)
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SUBMIT_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
SMALL_REQUEST = 1 * 1024 * 1024  # every page but a section page (which takes files)


# --- helpers -------------------------------------------------------------------------------------

def _forms() -> dict[str, Form]:
    """Form definitions of the current pack generation (reloaded with it)."""
    return current_forms()


def _form(pid: str) -> Form | None:
    return _forms().get(pid)


def _locale() -> str:
    return getattr(g, "locale", "ja")  # the page's language: pack texts and words fall back themselves


def _today() -> dt.date:
    return today_in_japan()


@bp.url_value_preprocessor
def _limit_request_size(endpoint: str | None, _values: dict | None) -> None:
    """MAX_CONTENT_LENGTH is large for attachments; only section pages need that much. (A URL
    value preprocessor runs before every before_request hook, so before CSRF reads the form.)"""
    if endpoint != "intake.section":
        request.max_content_length = min(SMALL_REQUEST, current_app.config.get("MAX_CONTENT_LENGTH") or SMALL_REQUEST)


def _remember(app_id: str) -> None:
    drafts = [d for d in session.get(DRAFTS, []) if d != app_id]
    session[DRAFTS] = (drafts + [app_id])[-MAX_DRAFTS:]


def _own(app_id: str) -> tuple[Application, Form]:
    """A draft of this browser (404 otherwise: no hint that it exists)."""
    if app_id not in session.get(DRAFTS, []):
        abort(404)
    app = db.session.get(Application, app_id)
    form = _form(app.procedure_id) if app is not None else None
    if app is None or form is None:
        abort(404)
    return app, form


def _shown_sections(form: Form, answers: dict[str, Any]) -> list[str]:
    return [s.id for s in form.sections if section_shown(form, s.id, answers)]


def _attachments(app: Application, names: list[str] | None = None) -> dict[str, ApplicationAttachment]:
    """This application's files, plus the named uploads made on its pages and not claimed yet."""
    found = {a.name: a for a in applications.attachments(app)}
    if names:
        for a in db.session.scalars(select(ApplicationAttachment).where(
                ApplicationAttachment.name.in_(names), ApplicationAttachment.application_id.is_(None),
                ApplicationAttachment.draft == applications.web_upload_draft(app))):
            found[a.name] = a
    return found


def _page(form: Form, sid: str, formdata, app: Application | None = None, store=None) -> web_forms.SectionForm:
    page = web_forms.section_form(form, sid, formdata, locale=_locale(), today=_today(), store=store)
    if app is not None:
        keep = [n for f in page.specs() if isinstance(f, web_forms.FileField) for n in f.keep]
        page.resolve_files(_attachments(app, keep))
    return page


def _stored_page(form: Form, sid: str, app: Application) -> web_forms.SectionForm:
    answers = applications.values(app)
    return _page(form, sid, web_forms.to_formdata(form, sid, answers), app)


def _first_unfinished(form: Form, app: Application) -> str | None:
    answers = applications.values(app)
    for sid in _shown_sections(form, answers):
        page = _page(form, sid, web_forms.to_formdata(form, sid, answers, use_defaults=False), app)
        if not page.validate(answers):
            return sid
    return None


def _fee_text(form: Form, app: Application) -> dict[str, Any]:
    """What the resident is told about the fee: amount, or that it comes later, or none."""
    answers = applications.values(app)
    if app.payment_timing == "after_review":
        return {"kind": "after_review", "amount": app.fee_amount}
    if app.payment_timing == "none":
        return {"kind": "none", "amount": 0}
    amount = app.fee_amount
    if amount is None:
        try:
            amount = fee_total(form, answers, _today())
        except LookupError:
            return {"kind": "unknown", "amount": None}
    return {"kind": "none" if amount == 0 else "at_submission", "amount": amount}


def _section_url(app: Application, sid: str) -> str:
    return url_for("intake.section", app_id=app.id, sid=sid)


def _dev_ca_dir() -> Path | None:
    return signer.dev_ca_dir()


def _receipt_url(token: str) -> str | None:
    try:
        return url_for("payments.receipt", token=token)
    except BuildError:  # the payments blueprint is not there (yet)
        return None


def _start_checkout(app: Application, return_url: str, cancel_url: str):
    """Redirect to the payment provider's checkout."""
    try:
        url = resident_actions.checkout(app, return_url, cancel_url)
    except applications.ApplicationError as exc:
        return render_template("intake/message.html", title=_t("お支払いに進めませんでした"), body=exc.text()), exc.status
    return redirect(url)


def _t(text: str, **values: object) -> str:
    return gettext(text, **values)


# --- start ---------------------------------------------------------------------------------------

@bp.get("/apply")
def index():
    """Every procedure that can be applied for online, with a search box."""
    locale = _locale()
    q = unicodedata.normalize("NFKC", request.args.get("q", "")).strip()[:50]
    items = []
    for pid, form in sorted(_forms().items()):
        proc = form.procedure
        names = [form.title.get(locale), proc.name.get(locale), proc.name.ja, *proc.keywords]
        if q:
            score = max(100 if q in n else fuzz.partial_ratio(q, n) for n in names)
            if score < 75:
                continue
        else:
            score = 0
        items.append({"id": pid, "title": proc.name.get(locale), "description": proc.description.get(locale),
                      "score": score})
    if q:
        items.sort(key=lambda i: -i["score"])
    return render_template("intake/index.html", items=items, q=q)


@bp.get("/apply/<pid>")
def apply(pid: str):
    form = _form(pid)
    book = rulebook()
    if form is None:
        proc = book.kb.procedures.get(pid)
        if proc is None:
            abort(404)
        return render_template("intake/not_yet.html", procedure=proc, kb=book.kb)
    return _start_page(form)


def _start_page(form: Form, email: str = "", error: str | None = None, status: int = 200):
    locale = _locale()
    files = [f for s in form.sections for f in s.fields if f.type == "file"]
    fee = unit_fee(form.procedure, _today())
    timing = form.definition.fee.payment if form.definition.fee else "at_submission"
    return render_template("intake/start.html", form=form, email=email, error=error, files=files, fee=fee,
                           fee_timing=timing if form.procedure.fees else "none", pages=len(form.sections),
                           locale=locale), status


@bp.post("/apply/<pid>")
def start(pid: str):
    form = _form(pid)
    if form is None:
        abort(404)
    email = unicodedata.normalize("NFKC", request.form.get("email", "")).strip()
    if not EMAIL.match(email) or len(email) > 254:
        return _start_page(form, email, _t("メールアドレスを正しく入力してください（例：taro@example.jp）。"), 400)
    app = resident_actions.start(form, email, locale=_locale(), channel="web")
    _remember(app.id)
    usage.record("apply", "started", pid)
    return redirect(_section_url(app, form.sections[0].id))


# --- one section per page ------------------------------------------------------------------------

@bp.route("/apply/d/<app_id>/<sid>", methods=["GET", "POST"])
@upload_limit()
def section(app_id: str, sid: str):
    app, form = _own(app_id)
    if app.status not in EDITABLE:
        return redirect(url_for("intake.done", app_id=app.id))
    if sid not in form.section_of.values() and sid not in {s.id for s in form.sections}:
        abort(404)
    answers = applications.values(app)
    if request.method == "GET":
        page = _stored_page(form, sid, app)
        errors = []
        if request.args.get("check") and not page.validate(answers):
            errors = page.summary()
        return _render_section(form, app, sid, page, errors)

    def store(field_id: str, filename: str, data: bytes):
        return applications.store_upload(form, field_id, filename, data,
                                         draft=applications.web_upload_draft(app), caps=draft_caps())

    page = _page(form, sid, CombinedMultiDict([request.files, request.form]), None, store)
    page.store_uploads()
    keep = [n for f in page.specs() if isinstance(f, web_forms.FileField) for n in f.keep]
    page.resolve_files(_attachments(app, keep))
    action = request.form.get("action", "continue")
    if page.apply(action):
        resident_actions.keep_uploads()
        return _render_section(form, app, sid, page, page.summary())
    ok = page.validate(answers)
    if action == "save":
        return _save_draft(form, app, page, answers)
    if not ok:
        resident_actions.keep_uploads()
        return _render_section(form, app, sid, page, page.summary(), 400)
    try:
        resident_actions.save_answers(app, form, _merged_answers(form, page, answers))
    except applications.ApplicationError as exc:
        return _render_section(form, app, sid, page, [{"field_id": "main", "message": exc.text()}], 400)
    answers = applications.values(app)
    steps = _shown_sections(form, answers)
    later = steps[steps.index(sid) + 1:] if sid in steps else []
    return redirect(_section_url(app, later[0]) if later else url_for("intake.review", app_id=app.id))


def _merged_answers(form: Form, page: web_forms.SectionForm, answers: dict[str, Any],
                    only_valid: bool = False) -> dict[str, Any]:
    """The stored answers with this page's over them (``only_valid``: the ones without errors)."""
    fresh = {name: value for name, value in page.values().items()
             if not (only_valid and page[name].errors)}
    merged = {k: v for k, v in answers.items() if k not in fresh or (only_valid and page[k].errors)}
    merged.update({k: v for k, v in fresh.items() if v is not None})
    return web_forms.clean_answers(form, merged)


def _save_draft(form: Form, app: Application, page: web_forms.SectionForm, answers: dict[str, Any]):
    """下書きを保存: what is valid on this page is kept (missing answers are fine), the link is mailed."""
    skipped = [page[name].title for name in page.values() if page[name].errors
               and not page[name].is_empty()]
    resident_actions.save_draft(app, form, _merged_answers(form, page, answers, only_valid=True))
    return render_template("intake/saved.html", app=app, form=form, skipped=skipped,
                           days=current_app.config["DRAFT_LINK_DAYS"], back=_section_url(app, page.section_id))


def _render_section(form: Form, app: Application, sid: str, page: web_forms.SectionForm,
                    errors: list[dict[str, str]], status: int = 200):
    locale = _locale()
    answers = applications.values(app)
    steps = _shown_sections(form, {**answers, **{k: v for k, v in page.values().items() if v is not None}})
    if sid not in steps:
        steps = _shown_sections(form, answers) or [sid]
    position = steps.index(sid) if sid in steps else 0
    back = _section_url(app, steps[position - 1]) if position > 0 else url_for("intake.apply", pid=form.id)
    notes = {f.spec.id: web_forms.condition_note(form, f.spec, sid, locale) for f in page.specs()}
    return render_template("intake/section.html", form=form, app=app, section=form.section(sid), page=page,
                           errors=errors, step=position + 1, total=len(steps) + 1, back=back, notes=notes,
                           prefectures=web_forms.PREFECTURES, eras=web_forms.ERA_CHOICES,
                           intro=form.definition.intro if position == 0 else None), status


# --- saved drafts: the e-mailed link -------------------------------------------------------------

@bp.get("/apply/resume/<token>")
def resume(token: str):
    app_id, expired = links.read_resume_token(token)
    if expired:
        return render_template("intake/expired.html"), 410
    app = db.session.get(Application, app_id) if app_id else None
    form = _form(app.procedure_id) if app is not None else None
    if app is None or form is None:
        abort(404)
    _remember(app.id)
    if app.status not in EDITABLE:
        return redirect(links.status_url(app.id) if app.receipt_number else url_for("intake.index"))
    sid = _first_unfinished(form, app)
    return redirect(_section_url(app, sid) if sid else url_for("intake.review", app_id=app.id))


# --- check answers, sign -------------------------------------------------------------------------

def _answer_sections(form: Form, app: Application, *, change_links: bool) -> list[dict[str, Any]]:
    locale = _locale()
    answers = applications.values(app)
    files = _attachments(app)
    out = []
    for sid in _shown_sections(form, answers):
        rows = []
        for spec in form.section(sid).fields:
            if not is_shown(form, spec.id, answers):
                continue  # hidden by an answer
            row = {"key": spec.label.get(locale),
                   "value": web_forms.display(spec, answers.get(spec.id), locale, today=_today(), attachments=files)}
            if change_links:
                row |= {"change_href": _section_url(app, sid) + f"#{spec.id}-group", "change_hidden": spec.label.get(locale)}
            rows.append(row)
        out.append({"id": sid, "title": form.section(sid).title.get(locale), "rows": rows})
    return out


@bp.get("/apply/d/<app_id>/review")
def review(app_id: str):
    app, form = _own(app_id)
    if app.status not in EDITABLE:
        return redirect(url_for("intake.done", app_id=app.id))
    steps = _shown_sections(form, applications.values(app))
    return render_template("intake/review.html", form=form, app=app, sections=_answer_sections(form, app, change_links=True),
                           fee=_fee_text(form, app), back=_section_url(app, steps[-1]),
                           step=len(steps) + 1, total=len(steps) + 1)


@bp.post("/apply/d/<app_id>/review")
def confirm(app_id: str):
    app, form = _own(app_id)
    if app.status not in EDITABLE:
        return redirect(url_for("intake.done", app_id=app.id))
    unfinished = _first_unfinished(form, app)
    if unfinished:
        return redirect(url_for("intake.section", app_id=app.id, sid=unfinished, check=1))
    if app.status == workflow.SIGNED:
        return redirect(url_for("intake.sign", app_id=app.id))
    # a correction is signed again: the old signature goes (kept in the history)
    resident_actions.to_signing(app, form, _today(),
                                sign_again=app.status == workflow.CORRECTION and bool(app.signature_b64))
    return redirect(url_for("intake.sign", app_id=app.id))


@bp.get("/apply/d/<app_id>/sign")
def sign(app_id: str):
    app, form = _own(app_id)
    if app.status not in EDITABLE:
        return redirect(url_for("intake.done", app_id=app.id))
    if applications.is_signed(app):
        return redirect(url_for("intake.submit_page", app_id=app.id))
    if not app.payload:
        return redirect(url_for("intake.review", app_id=app.id))
    payload = app.payload.encode("utf-8")
    code = app.last_signature_error
    error = translate(_locale(), jpki.MESSAGES[code]) if code in jpki.MESSAGES else None  # in the page's language
    link = signer.link(app)
    name = current_app.config.get("SIGNER_APP_NAME") or (
        _t("開発用の署名アプリ") if signer.dev_signer_on() and not current_app.config.get("SIGNER_APP_URL_TEMPLATE")
        else _t("署名アプリ"))
    qr = labelled_qr(link.qr_url, _t("%(app)sを開くQRコード", app=name), "qr__image signing-qr") if link.app_url else None
    return render_template("intake/sign.html", form=form, app=app, error=error, link=link, app_name=name, qr=qr,
                           digest=hashlib.sha256(payload).hexdigest(),
                           digest_info=base64.b64encode(jpki.digest_info(payload)).decode(),
                           dev_signer=_dev_ca_dir() is not None)


@bp.get("/apply/d/<app_id>/sign/state")
def sign_state(app_id: str):
    """Whether the signer app has signed yet (the signing page asks while it waits)."""
    app = _own(app_id)[0]
    code = app.last_signature_error
    signed = applications.is_signed(app)
    return jsonify({"signed": signed,
                    "error": translate(_locale(), jpki.MESSAGES[code]) if code in jpki.MESSAGES and not signed else None,
                    "next_url": url_for("intake.submit_page", app_id=app.id) if signed else None})


@bp.post("/apply/d/<app_id>/sign/dev")
def dev_sign(app_id: str):
    """開発用の署名: the development CA's test card signs on the server; the signature is then
    verified exactly as the API verifies the signer app's (trust anchors, CRLs) and recorded."""

    app, form = _own(app_id)
    directory = _dev_ca_dir()
    if directory is None:
        abort(404)
    if app.status not in (workflow.DRAFT, workflow.CORRECTION) or not app.payload or applications.is_signed(app):
        return redirect(url_for("intake.sign", app_id=app.id))
    resident = city().sample_resident  # a made-up resident of this city when the form has no name
    ca, card = devca.demo_card(directory, applications.values(app), resident.name, resident.address)
    payload = app.payload.encode("utf-8")
    signature = card.sign(payload)
    anchors = read_files("JPKI_TRUST_ANCHORS")
    if not anchors:
        return render_template("intake/message.html", title=_t("いまは電子署名を確認できません"),
                               body=_t("署名を確認する設定（JPKI_TRUST_ANCHORS）がありません。時間をおいてお試しください。")), 503
    now = dt.datetime.now(dt.UTC)
    result = jpki.verify_signature(payload, signature, card.pem, ca.chain_pems, trust_roots=anchors,
                                   crls=read_files("JPKI_CRL_SOURCES"), moment=now)
    resident_actions.record_signature(app, result, card.pem, base64.b64encode(signature).decode(), now,
                                      ca.chain_pems, form.signature_items)
    if not result.ok:
        return redirect(url_for("intake.sign", app_id=app.id))
    if applications.payment_needed_before_submit(app):
        return _start_checkout(app, external_url("intake.submit_page", app_id=app.id),
                               external_url("intake.submit_page", app_id=app.id))
    return redirect(url_for("intake.submit_page", app_id=app.id))


# --- pay, submit, receipt ------------------------------------------------------------------------

@bp.post("/apply/d/<app_id>/pay")
def pay(app_id: str):
    app = _own(app_id)[0]
    if not applications.payment_needed_before_submit(app):
        return redirect(url_for("intake.submit_page", app_id=app.id))
    back = external_url("intake.submit_page", app_id=app.id)
    return _start_checkout(app, back, back)


@bp.get("/apply/d/<app_id>/submit")
def submit_page(app_id: str):
    app, form = _own(app_id)
    if app.receipt_number and app.status not in (workflow.SIGNED, workflow.CORRECTION):
        return redirect(url_for("intake.done", app_id=app.id))
    if not applications.is_signed(app):
        return redirect(url_for("intake.sign", app_id=app.id))
    return render_template("intake/submit.html", form=form, app=app, fee=_fee_text(form, app),
                           pay_first=applications.payment_needed_before_submit(app),
                           key=secrets.token_urlsafe(24))


@bp.post("/apply/d/<app_id>/submit")
def submit(app_id: str):
    app = _own(app_id)[0]
    key = request.form.get("submit_key", "")
    if not SUBMIT_KEY.match(key):
        abort(400)
    try:
        sent = resident_actions.submit(app, key)
    except resident_actions.KeyReused:  # the same key, for another application, at the same moment
        abort(409)
    except applications.ApplicationError as exc:
        if exc.code == "payment_required":
            return redirect(url_for("intake.submit_page", app_id=app.id))
        if exc.code == "not_signed":
            return redirect(url_for("intake.sign", app_id=app.id))
        return render_template("intake/message.html", title=_t("送信できませんでした"), body=exc.text()), exc.status
    if sent:
        usage.record("apply", "submitted", app.procedure_id)
    return redirect(url_for("intake.done", app_id=app.id))


@bp.get("/apply/d/<app_id>/done")
def done(app_id: str):
    app, form = _own(app_id)
    if not app.receipt_number:
        return redirect(url_for("intake.review", app_id=app.id))
    return render_template("intake/done.html", form=form, app=app, status_url=links.status_url(app.id),
                           text=workflow.RESIDENT_TEXT.get(app.status, {}).get(_locale(), ""))


# --- the status page (secret link) ---------------------------------------------------------------

def _by_token(token: str) -> tuple[Application, Form]:
    app_id = links.read_status_token(token)
    app = db.session.get(Application, app_id) if app_id else None
    form = _form(app.procedure_id) if app is not None else None
    if app is None or form is None or not app.receipt_number:
        abort(404)
    return app, form


def _jst(moment: dt.datetime | None) -> str:
    moment = applications.aware(moment)
    return japanese_moment(moment) if moment else ""


@bp.get("/apply/status/<token>")
def status(token: str):
    app, form = _by_token(token)
    locale = _locale()
    events = applications.events(app)
    posted = [e for e in events if e.kind == dispatch.DISPATCH]  # 郵送しました (intake.dispatch)
    history = [{"at": _jst(e.at), "label": dispatch.LABEL[locale] if e.kind == dispatch.DISPATCH
                else workflow.label(e.to_status, locale),
                "note": e.note if e.to_status in (workflow.CORRECTION, workflow.REJECTED) else None}
               for e in events if e.kind == dispatch.DISPATCH
               or (e.kind == "status" and e.to_status and e.to_status not in workflow.BEFORE_SUBMISSION)]
    correction = None
    if app.status == workflow.CORRECTION:
        event = applications.latest_correction(app)
        if event is not None:
            comments = json.loads(event.field_comments_json) if event.field_comments_json else {}
            correction = {"note": event.note, "fields": [
                {"label": form.fields[fid].label.get(locale) if fid in form.fields else fid, "comment": text}
                for fid, text in comments.items()]}
    return render_template("intake/status.html", form=form, app=app, token=token, history=history,
                           label=workflow.label(app.status, locale),
                           text=dispatch.RESIDENT_TEXT[locale] if posted and app.status == workflow.ISSUED
                           else workflow.RESIDENT_TEXT.get(app.status, {}).get(locale, ""),
                           fee=_fee_text(form, app), receipt_url=_receipt_url(token) if app.payment_state == "paid" else None,
                           correction=correction, may_withdraw=workflow.resident_may_withdraw(app.status))


@bp.post("/apply/status/<token>/pay")
def status_pay(token: str):
    app = _by_token(token)[0]
    if app.payment_state != "due":
        return redirect(url_for("intake.status", token=token))
    back = external_url("intake.status", token=token)
    return _start_checkout(app, back, back)


@bp.post("/apply/status/<token>/correct")
def correct(token: str):
    """申請内容を直す: the sections open again in this browser; then 確認 → 署名 → 申請."""
    app, form = _by_token(token)
    if app.status != workflow.CORRECTION:
        return redirect(url_for("intake.status", token=token))
    _remember(app.id)
    return redirect(_section_url(app, form.sections[0].id))


@bp.route("/apply/status/<token>/withdraw", methods=["GET", "POST"])
def withdraw(token: str):
    app, form = _by_token(token)
    if not workflow.resident_may_withdraw(app.status):
        return redirect(url_for("intake.status", token=token))
    if request.method == "GET":
        return render_template("intake/withdraw.html", form=form, app=app, token=token)
    resident_actions.withdraw(app)
    usage.record("apply", "withdrawn", app.procedure_id)
    return redirect(url_for("intake.status", token=token))


# --- postcode lookup (for the small script; the button works without it) -------------------------

@bp.get("/api/v1/postcodes/<code>")
@limiter.limit("120 per minute")
def postcode_lookup(code: str):
    found = postcode.lookup(code) if re.fullmatch(r"[0-9]{7}", code) else None
    if found is None:
        return jsonify({"error": {"code": "not_found", "message": "この郵便番号の住所が見つかりませんでした。"}}), 404
    response = jsonify(found.as_dict())
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response
