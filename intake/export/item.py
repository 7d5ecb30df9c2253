"""What an exporter is given for one application (plain data, no database objects)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Attachment:
    name: str  # the attachment's id (as in the signed payload)
    field_id: str
    filename: str  # as the resident uploaded it
    kind: str
    sha256: str
    data: bytes


@dataclass(frozen=True)
class Section:
    title: str
    fields: list[tuple[str, str]]  # (field id, label), in page order


@dataclass(frozen=True)
class ExportItem:
    """One application: the body the back-office API's get returns, its attachments, the
    signature evidence as stored, the form's sections (for the paper form) and the CSV options."""

    body: dict[str, Any]
    fields: dict[str, Any]  # the stored values (as signed)
    attachments: list[Attachment]
    payload: bytes  # the signed bytes (RFC 8785)
    signature_b64: str
    certificate_pem: str
    chain_pem: str
    revocation_evidence: list[Any]
    title: str = ""  # the procedure's name
    sections: list[Section] = field(default_factory=list)
    encoding: str = "utf-8-sig"  # or cp932
    font: str = ""  # the TrueType font for the PDF

    @property
    def receipt_number(self) -> str:
        return str(self.body.get("receipt_number") or "")

    @property
    def procedure_id(self) -> str:
        return str(self.body.get("procedure_id") or "")
