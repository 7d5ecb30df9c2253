"""Run the batch export: choose the applications, gather each one, verify, write, record, audit.

    report = export(directory, since=None, again=False)   # commits; one audit record per application

An application is exported once per revision (a resubmission after 補正 is a new revision);
``again`` exports it even if it was. A refused application (its signature no longer verifies, a
digest does not hold, a character Shift_JIS cannot hold) writes no file, is not recorded as
exported (the next run tries again) and is audited as failed with the reason.

The application JSON is the back-office API's own get (:func:`api_body`): the same serializer, so
a 申請管理 system reads the same document from either path.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app, g
from sqlalchemy import select

from core import audit
from core.csv_export import ShiftJisUnmappable
from core.db import aware, db
from core.pdf import find_font
from intake import applications, signature_check, workflow
from intake.api import current_form
from intake.backoffice_models import BackofficeClient
from intake.export import bundle, exporters, verify
from intake.export.item import Attachment, ExportItem, Section
from intake.export.models import ApplicationExport
from intake.models import Application

EXPORT_CLIENT_ID = "export"  # the back-office API's get is called as this (transient) client
ACTOR, ROLE = "system:export", "system"


@dataclass
class Outcome:
    receipt_number: str
    ok: bool
    file: str = ""
    code: str = ""
    detail: str = ""
    problems: list[dict] = field(default_factory=list)


def api_body(application: Application) -> dict:
    """What GET /api/v1/backoffice/applications/<受付番号> answers, called through the app context
    as the export's own client (every department, no status map)."""
    from intake import backoffice  # the view module: imported here, where it is used
    view = getattr(backoffice.get_application, "__wrapped__", backoffice.get_application)  # not rate-limited
    with current_app.test_request_context(base_url=current_app.config.get("BACKOFFICE_EXPORT_BASE_URL") or None):
        g.backoffice_client = BackofficeClient(client_id=EXPORT_CLIENT_ID, name="batch export", departments="",
                                               active=True)
        response = view(application.receipt_number)
    return response.get_json()


def _sections(procedure_id: str) -> tuple[str, list[Section]]:
    form = current_form(procedure_id)
    if form is None:
        return procedure_id, []
    return form.title.get("ja"), [Section(s.title.get("ja"), [(f.id, f.label.get("ja")) for f in s.fields])
                                  for s in form.sections]


def gather(application: Application, *, encoding: str, font: str) -> ExportItem:
    title, sections = _sections(application.procedure_id)
    return ExportItem(
        body=api_body(application), fields=applications.values(application),
        attachments=[Attachment(a.name, a.field_id, a.filename, a.kind, a.sha256, a.data)
                     for a in applications.attachments(application)],
        payload=(application.payload or "").encode("utf-8"), signature_b64=application.signature_b64 or "",
        certificate_pem=application.certificate_pem or "", chain_pem=application.chain_pem or "",
        revocation_evidence=json.loads(application.revocation_evidence or "[]"),
        title=title, sections=sections, encoding=encoding, font=font)


def evidence_files(item: ExportItem) -> list[tuple[str, bytes]]:
    """The attachments and the signature evidence, in every ZIP whatever the formats."""
    out = [(f"attachments/{bundle.safe_name(a.name)}/{bundle.safe_name(a.filename)}", a.data) for a in item.attachments]
    out += [("signature/payload.json", item.payload),
            ("signature/signature.b64", item.signature_b64.encode("ascii")),
            ("signature/certificate.pem", item.certificate_pem.encode("ascii")),
            ("signature/chain.pem", item.chain_pem.encode("ascii")),
            ("signature/revocation.json",
             json.dumps(item.revocation_evidence, ensure_ascii=False, indent=2, default=str).encode())]
    return out


def stem(application: Application) -> str:
    return f"{bundle.safe_name(application.receipt_number or application.id)}-r{application.revision}"


def candidates(*, since: dt.datetime | None, again: bool, receipt_numbers: tuple[str, ...] = ()) -> list[Application]:
    query = select(Application).where(Application.receipt_number.is_not(None),
                                      Application.status.not_in(sorted(workflow.BEFORE_SUBMISSION)))
    if since is not None:
        query = query.where(Application.submitted_at >= since)
    if receipt_numbers:
        query = query.where(Application.receipt_number.in_(receipt_numbers))
    rows = list(db.session.scalars(query.order_by(Application.submitted_at, Application.id)))
    if again:
        return rows
    done = set(db.session.execute(select(ApplicationExport.application_id, ApplicationExport.revision)).all())
    return [a for a in rows if (a.id, a.revision) not in done]


def export_one(application: Application, directory: Path, *, encoding: str, formats: str, now: dt.datetime,
               font: str) -> Outcome:
    receipt = application.receipt_number or ""
    target = f"application:{application.id}"
    try:
        item = gather(application, encoding=encoding, font=font)
        result = verify.check(item, trust_roots=signature_check.read_files("JPKI_TRUST_ANCHORS"),
                              crls=signature_check.read_files("JPKI_CRL_SOURCES"),
                              intermediates=signature_check.read_files("JPKI_INTERMEDIATES"), moment=now)
        files = [f for make in exporters(formats) for f in make(item)] + evidence_files(item)
        about = {"receipt_number": receipt, "application_id": application.id, "procedure_id": application.procedure_id,
                 "revision": application.revision, "exported_at": now.isoformat(timespec="seconds"),
                 "signature": {"verified_at": now.isoformat(timespec="seconds"), "serial": result.serial},
                 "csv_encoding": encoding}
        path = bundle.write(directory, stem(application), files, about=about,
                            moment=aware(application.submitted_at) if application.submitted_at else None)
    except verify.ExportRefused as exc:
        return _refused(application, target, exc.code, exc.detail)
    except ShiftJisUnmappable as exc:
        problems = [{"field": p.heading, "char": p.char, "code_point": p.code_point} for p in exc.problems]
        detail = "; ".join(f"{p['field']}: {p['char']} {p['code_point']}" for p in problems)
        return _refused(application, target, "shift_jis_unmappable", f"characters Shift_JIS cannot hold: {detail}",
                        problems)
    except OSError as exc:
        return _refused(application, target, "write_failed", str(exc))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    record = db.session.scalar(select(ApplicationExport).where(ApplicationExport.application_id == application.id,
                                                              ApplicationExport.revision == application.revision))
    if record is None:  # the first export of this revision; an export --again updates its record
        record = ApplicationExport(application_id=application.id, revision=application.revision)
        db.session.add(record)
    record.receipt_number, record.file_name, record.sha256, record.exported_at = receipt, path.name, digest, now
    db.session.commit()
    audit.record("backoffice.export", target=target, actor=ACTOR, role=ROLE,
                 details={"receipt": receipt, "file": path.name, "sha256": digest, "format": formats,
                          "encoding": encoding})
    return Outcome(receipt, True, file=path.name)


def _refused(application: Application, target: str, code: str, detail: str, problems: list[dict] | None = None):
    details = {"receipt": application.receipt_number, "code": code}
    if problems:
        details["fields"] = sorted({p["field"] for p in problems})
        details["code_points"] = [p["code_point"] for p in problems]
    audit.record("backoffice.export", target=target, result="failed", actor=ACTOR, role=ROLE, details=details)
    return Outcome(application.receipt_number or "", False, code=code, detail=detail, problems=problems or [])


def export(directory: Path, *, since: dt.datetime | None = None, again: bool = False, encoding: str | None = None,
           formats: str | None = None, receipt_numbers: tuple[str, ...] = ()) -> list[Outcome]:
    """Export every application not yet exported (or all, ``again``); one Outcome each."""
    config = current_app.config
    encoding = encoding or config.get("BACKOFFICE_EXPORT_ENCODING", "utf-8-sig")
    formats = formats or config.get("BACKOFFICE_EXPORT_FORMATS", "json,csv,pdf")
    exporters(formats)  # unknown names fail before anything is written
    font = str(find_font(config.get("PDF_FONT_PATH") or None)) if "pdf" in formats else ""
    bundle.clean_temporaries(directory)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    return [export_one(a, directory, encoding=encoding, formats=formats, now=now, font=font)
            for a in candidates(since=since, again=again, receipt_numbers=receipt_numbers)]
