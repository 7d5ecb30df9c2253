"""What happens to an online application, whoever asks (resident pages, JSON API, staff console,
back-office API, payment webhooks): drafts, attachments, the bytes to sign, signatures, submit,
status changes with their history and e-mails.

Each function changes the objects in ``db.session`` and leaves the commit to the caller, except
where it says otherwise (a staff decision, :func:`staff_decision` and :func:`first_approval`,
commits and writes its audit record itself). Transition rules live in ``intake.workflow`` (plain Python).

    app = new_application(form, fields, email, locale="ja", channel="web")
    attach(app, form, "proxy_letter", upload)          # upload: an ApplicationAttachment from store_upload
    prepare_signing(app, form)                         # -> the payload bytes (RFC 8785)
    record_signature(app, verification, cert_pem, signature_b64)
    submit(app, key)                                   # one application per key, however often it is sent
    change_status(app, workflow.REVIEWING, who="staff", actor="staff:tanaka")
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from flask_babel import LazyString, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from core import audit
from core.db import aware, db
from core.encrypted import blind_index
from core.errors import AppError
from core.i18n import lazy_message
from core.japan_time import JST
from core.mail_templates import locale_of, render_mail
from core.outbox import enqueue_mail
from core.uploads import DraftCaps, sniff
from intake import backoffice_webhooks, jpki, links, search_keys, workflow
from intake.forms import Form, fee_total, is_shown
from intake.identity import compare
from intake.models import Application, ApplicationAttachment, ApplicationEvent
from intake.payments.models import Payment


class ApplicationError(AppError):
    """A refused action on an application (409 unless said otherwise)."""

    status = 409


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def today_jst() -> dt.date:
    return dt.datetime.now(JST).date()


# --- drafts ---------------------------------------------------------------------------------------

def new_application(form: Form, fields: Mapping[str, Any], email: str, *, locale: str = "ja",
                    channel: str = "web", upload_draft: str | None = None) -> Application:
    """A draft (added to the session). Attachments referred to by ``fields`` are claimed: only
    those uploaded for ``upload_draft`` (the API's upload draft, see :func:`api_upload_draft`)."""
    app = Application(id=str(uuid.uuid4()), procedure_id=form.id, status=workflow.DRAFT,
                      fields_json=json.dumps(dict(fields), ensure_ascii=False), email=email,
                      email_index=blind_index(email, "email"), created_at=now_utc(), payload="",
                      department_id=form.department, locale=locale, channel=channel,
                      payment_timing=_payment_timing(form), payment_state="none", revision=1,
                      form_version=form.version)
    app.updated_at = app.created_at
    db.session.add(app)
    db.session.flush()
    _claim_attachments(app, form, fields, upload_draft)
    record_event(app, "status", "resident", to_status=workflow.DRAFT)
    return app


def values(app: Application) -> dict[str, Any]:
    return json.loads(app.fields_json or "{}")


def save_fields(app: Application, form: Form, fields: Mapping[str, Any]) -> None:
    """Replace the field values of a draft (or of an application sent back for 補正).

    Any signature so far no longer matches: it is dropped (kept in the history) and the
    resident signs again."""
    if app.status not in (workflow.DRAFT, workflow.SIGNED, workflow.CORRECTION):
        raise ApplicationError("not_editable", _l("この申請は、もう変更できません。"))
    app.fields_json = json.dumps(dict(fields), ensure_ascii=False)
    app.form_version = form.version  # the answers now follow the form as it is
    if app.receipt_number is None:  # not sent yet: to the department that reviews the form now
        app.department_id = form.department
    _claim_attachments(app, form, fields)
    app.payload = ""
    if app.signature_b64 is not None:
        _forget_signature(app)
    if app.status == workflow.SIGNED:
        app.status = workflow.DRAFT
    touch(app)


def _payment_timing(form: Form) -> str:
    if not form.procedure.fees:
        return "none"
    fee = form.definition.fee
    return fee.payment if fee is not None else "at_submission"


# --- attachments ----------------------------------------------------------------------------------

def web_upload_draft(app: Application) -> str:
    """The draft key of uploads made on the pages of this application."""
    return f"a:{app.id}"


def api_upload_draft() -> str:
    """A new draft key for API uploads (handed to the client signed; see ``intake.links``)."""
    return f"u:{secrets.token_hex(16)}"


def store_upload(form: Form, field_id: str, filename: str, data: bytes, *, draft: str,
                 caps: DraftCaps) -> ApplicationAttachment:
    """Check an uploaded file against the field's rules and the draft's caps, and keep it
    (unclaimed, tied to ``draft``) in the session."""
    fld = form.fields.get(field_id)
    if fld is None or fld.type != "file" or fld.file is None:
        raise ApplicationError("unknown_field", _l("この項目にはファイルを付けられません。"), status=400)
    if not data:
        raise ApplicationError("empty_file", _l("ファイルが空です。もう一度選んでください。"), status=400)
    if len(data) > fld.file.max_bytes:
        mb = fld.file.max_bytes / 2**20
        raise ApplicationError("file_too_large", _l("ファイルが大きすぎます。%(mb)sMBまでにしてください。", mb=f"{mb:g}"),
                               status=400)
        raise ApplicationError("file_too_large", f"ファイルが大きすぎます。{mb:g}MBまでにしてください。",
                               f"The file is too large: at most {mb:g} MB.", status=400)
    _check_draft_caps(draft, len(data), caps)
    kind = sniff(data[:16])
    if kind is None or kind not in fld.file.types:
        raise ApplicationError("file_type", _l("このファイルの形式は受け付けていません。%(types)sのファイルを選んでください。",
                                               types=LazyString(lambda: gettext("・").join(k.upper() for k in fld.file.types))),
                               status=400)
    attachment = ApplicationAttachment(name=secrets.token_hex(16), draft=draft, field_id=field_id,
                                       filename=(filename or "file")[-120:], kind=kind, size=len(data),
                                       sha256=hashlib.sha256(data).hexdigest(), data=data, created_at=now_utc())
    db.session.add(attachment)
    db.session.flush()
    return attachment


def _check_draft_caps(draft: str, size: int, caps: DraftCaps) -> None:
    count, total = db.session.execute(select(db.func.count(ApplicationAttachment.id),
                                             db.func.coalesce(db.func.sum(ApplicationAttachment.size), 0))
                                      .where(ApplicationAttachment.draft == draft)).one()
    if count + 1 > caps.files:
        raise ApplicationError("draft_file_count", _l("ひとつの申請に付けられるファイルは%(count)s件までです。",
                                                      count=caps.files), status=400)
    if total + size > caps.bytes:
        mb = caps.bytes / 2**20
        raise ApplicationError("draft_too_large", _l("ひとつの申請に付けられるファイルは合わせて%(mb)sMBまでです。",
                                                     mb=f"{mb:g}"), status=400)


def file_value(attachment: ApplicationAttachment) -> dict[str, Any]:
    """What a ``file`` field holds for one attachment (and what the JSON Schema describes)."""
    return {"name": attachment.name, "kind": attachment.kind, "size": attachment.size, "sha256": attachment.sha256}


def _file_refs(form: Form, fields: Mapping[str, Any]) -> dict[str, str]:
    """attachment name -> field id, for the shown file fields."""
    out: dict[str, str] = {}
    for fid, fld in form.fields.items():
        if fld.type != "file" or not is_shown(form, fid, fields):
            continue
        for item in fields.get(fid) or []:
            if isinstance(item, Mapping) and isinstance(item.get("name"), str):
                out[item["name"]] = fid
    return out


def _claim_attachments(app: Application, form: Form, fields: Mapping[str, Any],
                       upload_draft: str | None = None) -> None:
    """Attach the uploads the fields refer to; the rest of this application's files are let go.
    A reference to a file that does not exist, was uploaded for another draft, belongs to
    someone else or differs from what was uploaded is refused."""
    refs = _file_refs(form, fields)
    drafts = {web_upload_draft(app), upload_draft}
    wanted = {item["name"]: item for fid in set(refs.values()) for item in fields.get(fid) or []}
    found = {a.name: a for a in db.session.scalars(
        select(ApplicationAttachment).where(ApplicationAttachment.name.in_(list(refs) or [""])))}
    for name, fid in refs.items():
        att = found.get(name)
        item = wanted[name]
        if att is None or att.application_id not in (None, app.id) or att.field_id != fid \
                or (att.application_id is None and att.draft not in drafts) \
                or att.sha256 != item.get("sha256") or att.size != item.get("size") or att.kind != item.get("kind"):
            raise ApplicationError("attachment_unknown", _l("添付ファイルが見つかりません。もう一度付けてください。"), status=400)
        att.application_id = app.id
    for att in attachments(app):
        if att.name not in refs:
            db.session.delete(att)


def attachments(app: Application) -> list[ApplicationAttachment]:
    return list(db.session.scalars(select(ApplicationAttachment).where(
        ApplicationAttachment.application_id == app.id).order_by(ApplicationAttachment.id)))


# --- signing --------------------------------------------------------------------------------------

def prepare_signing(app: Application, form: Form, on: dt.date | None = None) -> bytes:
    """Fix the bytes to sign (fields + attachment digests + creation time + the version of the form
    the answers were entered with) and the fee.

    Only the files the answers refer to are signed: an upload nobody referred to (a file replaced,
    a field now hidden) is no part of what the resident declares."""
    if app.status not in (workflow.DRAFT, workflow.CORRECTION):
        raise ApplicationError("not_editable", _l("この申請は、もう変更できません。"))
    fields = values(app)
    referenced = _file_refs(form, fields)
    digests = {a.name: a.sha256 for a in attachments(app) if a.name in referenced}
    payload = jpki.canonical_payload(app.id, app.procedure_id, fields, digests, aware(app.created_at),
                                     app.form_version)
    app.payload = payload.decode("utf-8")
    if app.payment_timing == "at_submission":
        app.fee_amount = fee_total(form, fields, on or today_jst())
        collected = amount_collected(app)
        if collected and app.fee_amount > collected:  # more copies after a 補正: the difference is due
            app.payment_state = "due"
        elif collected and app.fee_amount < collected:  # fewer: staff refund the difference
            record_event(app, "payment", "system", note=f"overpaid:{collected - app.fee_amount}")
    return payload


def amount_collected(app: Application) -> int:
    """Yen taken for this application and not given back (every payment, all providers)."""

    taken = db.session.scalars(select(Payment).where(Payment.application_id == app.id,
                                                     Payment.status.in_(("paid", "partially_refunded"))))
    return sum(p.amount - (p.refunded_amount or 0) for p in taken)


def record_signature(app: Application, result: jpki.Verification, certificate_pem: str, signature_b64: str,
                     checked_at: dt.datetime, chain: list[str] | tuple[str, ...] = (),
                     items: Sequence[str] | None = None) -> None:
    """Store the outcome of a verification: evidence when valid, the error code otherwise.
    ``chain`` (the intermediates sent with the certificate) is kept for the re-check at approval;
    ``items``: the 基本4情報 the form compares (``Form.signature_items``; None: all it asks)."""
    app.signature_checked_at = checked_at
    if not result.ok:
        app.last_signature_error = result.code
        return
    app.signature_b64 = signature_b64
    app.certificate_pem = certificate_pem
    app.chain_pem = "\n".join(c.strip() for c in chain) or None
    app.signer_json = json.dumps(result.signer, ensure_ascii=False)
    app.cert_serial = result.serial
    app.cert_issuer = result.issuer
    app.revocation_evidence = json.dumps(result.revocation_evidence, ensure_ascii=False, default=str)
    app.last_signature_error = None
    app.identity_json = json.dumps(compare(values(app), result.signer or {}, items))
    if app.status == workflow.DRAFT:
        _move(app, workflow.SIGNED, "resident")
    else:
        touch(app)  # a correction re-signed: it stays in 補正依頼 until sent


def _forget_signature(app: Application) -> None:
    record_event(app, "signature", "resident", note=json.dumps({
        "superseded": {"serial": app.cert_serial, "issuer": app.cert_issuer,
                       "checked_at": aware(app.signature_checked_at).isoformat() if app.signature_checked_at else None}},
        ensure_ascii=False))
    app.signature_b64 = app.certificate_pem = app.chain_pem = app.signer_json = app.identity_json = None
    app.cert_serial = app.cert_issuer = app.revocation_evidence = None


def is_signed(app: Application) -> bool:
    return bool(app.signature_b64 and app.payload)


# --- submit ---------------------------------------------------------------------------------------

def payment_needed_before_submit(app: Application) -> bool:
    """A fee at submission not (fully) collected — also after a 補正 that raised it."""
    return app.payment_timing == "at_submission" and (app.fee_amount or 0) > amount_collected(app)


def submit(app: Application, key: str, *, actor: str = "resident") -> bool:
    """Send the signed application (or the corrected one). Returns False when it was already
    sent (a double click, a retry, a second worker): nothing changes and nothing is sent twice.

    The claim is one conditional UPDATE (status still signed/補正依頼), so two requests racing on
    two workers cannot both send it."""
    if app.submit_key == key or (app.status not in (workflow.SIGNED, workflow.CORRECTION) and app.receipt_number):
        return False
    if not is_signed(app):
        raise ApplicationError("not_signed", _l("マイナンバーカードで署名してから送ってください。"))
    if payment_needed_before_submit(app):
        raise ApplicationError("payment_required", _l("手数料を支払ってから送ってください。"),
                               status=402)
    who = "system" if actor == "system" else "resident"
    before = app.status
    refusal = workflow.check(before, workflow.SUBMITTED, who)
    if refusal:
        raise ApplicationError(refusal.code, lazy_message(refusal.message))
    claimed = db.session.execute(
        update(Application).where(Application.id == app.id, Application.status == before)
        .values(status=workflow.SUBMITTED, submit_key=key).execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        db.session.refresh(app)
        return False
    app.submit_key = key
    if before == workflow.CORRECTION:
        app.revision += 1
    else:
        app.receipt_number = _new_receipt_number()
        app.submitted_at = now_utc()
    app.status = before  # _move records the change it made
    _move(app, workflow.SUBMITTED, who, actor=actor, note="resubmitted" if before == workflow.CORRECTION else "")
    search_keys.index(app)  # the staff inbox finds it by name (blind indexes; rewritten after 補正)
    return True


def _new_receipt_number() -> str:
    """受付番号: the day (JST) and six random digits, e.g. 261127-048213 (unique, not secret)."""
    day = dt.datetime.now(JST).strftime("%y%m%d")
    for _ in range(20):
        number = f"{day}-{secrets.randbelow(10**6):06d}"
        if db.session.scalar(select(Application.id).where(Application.receipt_number == number)) is None:
            return number
    raise RuntimeError("no free receipt number")  # 20 collisions in a row: not a real day


# --- status changes -------------------------------------------------------------------------------

def change_status(app: Application, to: str, *, who: str, actor: str, note: str = "",
                  field_comments: Mapping[str, str] | None = None, staff_id: int | None = None,
                  needs_second_approver: bool = False) -> ApplicationEvent:
    """A checked transition with its history entry and the resident's e-mail. Before 承認 the
    stored signature is verified again with today's CRLs (``signature_check.recheck``): here, so
    no caller (console, bulk inbox, back-office API, a script) can approve past a certificate
    revoked since signing. The transition rules are said first: nothing to verify for a move
    that is refused anyway."""
    refusal = workflow.check(app.status, to, who, payment_state=app.payment_state,
                             needs_second_approver=needs_second_approver,
                             first_approver_id=app.first_approver_id, staff_id=staff_id, note=note)
    if refusal:
        raise ApplicationError(refusal.code, lazy_message(refusal.message))
    if to == workflow.APPROVED:
        from intake.signature_check import recheck  # it records through this module's functions
        recheck(app, actor)
    return _move(app, to, who, actor=actor, note=note, field_comments=field_comments)


def staff_decision(app: Application, to: str, *, actor: str, staff_id: int, note: str = "",
                   field_comments: Mapping[str, str] | None = None, needs_second_approver: bool = False,
                   audit_details: Mapping[str, Any] | None = None) -> ApplicationEvent:
    """A member of staff moves the application (the console): the checked move of
    :func:`change_status`, committed, then its audit record — one unit, so no view can forget
    either. A refusal rolls back and raises ApplicationError, nothing committed but a failed re-check."""
    before = app.status
    try:
        event = change_status(app, to, who=workflow.STAFF, actor=actor, note=note, field_comments=field_comments,
                              staff_id=staff_id, needs_second_approver=needs_second_approver)
    except ApplicationError:
        db.session.rollback()
        raise
    db.session.commit()
    audit.record("application.status", target=app.receipt_number or "",
                 details={"from": before, "to": to, **(audit_details or {})})
    return event


def first_approval(app: Application, staff_id: int, actor: str) -> None:
    """一次承認 by one member of staff (another approves): committed and audited (a refusal rolls back)."""
    if app.status != workflow.REVIEWING:
        db.session.rollback()
        raise ApplicationError("transition_not_allowed", _l("審査中の申請だけ一次承認できます。"))
    app.first_approver_id = staff_id
    record_event(app, "first_approval", actor)
    touch(app)
    db.session.commit()
    audit.record("application.first_approval", target=app.receipt_number or "")


def confirm_fee(app: Application, amount: int, actor: str) -> None:
    """Staff fix the fee of a pay-after-review application (e.g. the number of 戸籍 copies found);
    the resident is asked to pay on the status page (e-mail sent). 0 means nothing to pay."""
    if app.payment_timing != "after_review" or app.payment_state in ("paid", "refunded"):
        raise ApplicationError("fee_not_open", _l("この申請の手数料は変更できません。"))
    if app.status not in (workflow.SUBMITTED, workflow.REVIEWING, workflow.CORRECTION):
        raise ApplicationError("fee_not_open", _l("審査中の申請だけ手数料を確定できます。"))
    if not isinstance(amount, int) or amount < 0 or amount > 1_000_000:
        raise ApplicationError("fee_invalid", _l("手数料は0円から1,000,000円までの整数で入力してください。"), status=400)
    app.fee_amount = amount
    app.payment_state = "due" if amount > 0 else "none"
    event = record_event(app, "payment", actor, note=f"fee_confirmed:{amount}")
    touch(app)
    if amount > 0:
        notify_fee_due(app, event)


def notify_fee_due(app: Application, event: ApplicationEvent) -> None:

    mail = render_mail("application_fee_due", app.locale, number=app.receipt_number or "", fee=app.fee_amount,
                       status_url=links.status_url(app.id))
    enqueue_mail(app.email, mail.subject, mail.text, html=mail.html, dedupe_key=f"application-event:{event.id}")


def withdraw(app: Application) -> None:
    """The resident withdraws (until processing starts)."""
    if not workflow.resident_may_withdraw(app.status):
        raise ApplicationError("withdraw_not_allowed", _l("審査が始まっているため、ここでは取り下げできません。担当課に連絡してください。"))
    _move(app, workflow.WITHDRAWN, "resident", actor="resident")


def _move(app: Application, to: str, who: str, *, actor: str | None = None, note: str = "",
          field_comments: Mapping[str, str] | None = None) -> ApplicationEvent:
    before = app.status
    app.status = to
    moment = now_utc()
    if to in (workflow.APPROVED, workflow.REJECTED):
        app.decided_at = moment
    if to in workflow.CLOSED:
        app.closed_at = moment
    if to == workflow.REVIEWING and before == workflow.SUBMITTED:
        app.first_approver_id = None
    touch(app, moment)
    event = record_event(app, "status", actor or who, from_status=before, to_status=to, note=note or None,
                         field_comments=field_comments)
    if to not in workflow.BEFORE_SUBMISSION:
        notify_status(app, event)
        backoffice_webhooks.enqueue(app, event)  # clients with a URL: "look again" (signed, no personal data)
    return event


def touch(app: Application, moment: dt.datetime | None = None) -> None:
    app.updated_at = moment or now_utc()


def record_event(app: Application, kind: str, actor: str, *, from_status: str | None = None,
                 to_status: str | None = None, note: str | None = None,
                 field_comments: Mapping[str, str] | None = None) -> ApplicationEvent:
    event = ApplicationEvent(application_id=app.id, at=now_utc(), kind=kind, actor=actor[:80],
                             from_status=from_status, to_status=to_status, note=note,
                             field_comments_json=json.dumps(dict(field_comments), ensure_ascii=False)
                             if field_comments else None)
    db.session.add(event)
    db.session.flush()
    return event


def events(app: Application) -> list[ApplicationEvent]:
    return list(db.session.scalars(select(ApplicationEvent).where(
        ApplicationEvent.application_id == app.id).order_by(ApplicationEvent.id)))


def latest_correction(app: Application) -> ApplicationEvent | None:
    for event in reversed(events(app)):
        if event.kind == "status" and event.to_status == workflow.CORRECTION:
            return event
    return None


# --- e-mails --------------------------------------------------------------------------------------

def notify_status(app: Application, event: ApplicationEvent) -> None:
    """One e-mail per status change (queued in the outbox, sent once even if retried)."""

    locale = locale_of(app.locale)
    status = event.to_status or app.status
    title = workflow.label(status, locale)
    note = event.note if event.note and status in (workflow.CORRECTION, workflow.REJECTED) else ""
    mail = render_mail("application_status", locale, number=app.receipt_number or "", status_label=title,
                       resident_text=workflow.RESIDENT_TEXT.get(status, {}).get(locale, title),
                       status_url=links.status_url(app.id), note=note)
    enqueue_mail(app.email, mail.subject, mail.text, html=mail.html, dedupe_key=f"application-event:{event.id}")


def send_resume_link(app: Application) -> None:
    """The e-mail with the link that reopens a draft (sent when the resident saves it)."""

    mail = render_mail("application_resume", app.locale, resume_url=links.resume_url(app.id))
    enqueue_mail(app.email, mail.subject, mail.text, html=mail.html)


def signer(app: Application) -> dict[str, str] | None:
    return json.loads(app.signer_json) if app.signer_json else None


def identity(app: Application) -> dict[str, bool | None] | None:
    return json.loads(app.identity_json) if app.identity_json else None
