"""form.pdf: the application drawn as a paper form (A4, the embedded Japanese font of core.pdf):
the procedure's name, the 受付番号 and dates, then each section with its fields as label | value
rows, and the signature's certificate serial. For reading and filing, not for re-import."""
from __future__ import annotations

import datetime as dt
from typing import Any

from core.pdf import A4_HEIGHT, Document
from intake.export.csv_format import flatten
from intake.export.item import ExportItem, Section

NAME = "pdf"
LEFT, WIDTH, LABEL_W, ROW_H, BOTTOM = 15.0, 180.0, 60.0, 8.0, A4_HEIGHT - 15


def _text(value: Any) -> str:
    flat: dict[str, Any] = {}
    flatten(value, "", flat)
    if list(flat) == [""]:
        v = flat[""]
        return "" if v is None else ("はい" if v is True else "いいえ" if v is False else str(v))
    return "　".join(f"{k}: {'' if v is None else v}" for k, v in flat.items())


def files(item: ExportItem) -> list[tuple[str, bytes]]:
    body = item.body
    created = None
    if body.get("submitted_at"):
        created = dt.datetime.fromisoformat(body["submitted_at"])
    doc = Document(item.font, title=item.title or item.procedure_id, created=created)
    doc.add_page()
    y = 15.0
    doc.fit_text(LEFT, y, WIDTH, item.title or item.procedure_id, size=16)
    y += 10
    doc.text(LEFT, y, f"受付番号 {item.receipt_number}　提出 {body.get('submitted_at') or ''}", size=9)
    y += 8
    values = item.fields
    sections = list(item.sections)
    rest = [k for k in values if all(k not in {f for f, _ in s.fields} for s in sections)]
    if rest:
        sections.append(Section("その他", [(k, k) for k in rest]))
    for section in sections:
        rows = [(label, _text(values[fid])) for fid, label in section.fields if fid in values]
        if not rows:
            continue
        if y + ROW_H * 2 > BOTTOM:
            doc.add_page()
            y = 15.0
        doc.text(LEFT, y, section.title, size=11)
        y += 7
        for label, text in rows:
            if y + ROW_H > BOTTOM:
                doc.add_page()
                y = 15.0
            doc.shade(LEFT, y, LABEL_W, ROW_H)
            doc.box(LEFT, y, LABEL_W, ROW_H)
            doc.box(LEFT + LABEL_W, y, WIDTH - LABEL_W, ROW_H)
            doc.fit_text(LEFT + 1.5, y + 2, LABEL_W - 3, label, size=9)
            doc.fit_text(LEFT + LABEL_W + 1.5, y + 2, WIDTH - LABEL_W - 3, text, size=10, min_size=4)
            y += ROW_H
        y += 4
    signature = body.get("signature") or {}
    if y + ROW_H > BOTTOM:
        doc.add_page()
        y = 15.0
    doc.text(LEFT, y, f"電子署名：証明書シリアル {signature.get('serial') or '—'}", size=8)
    return [("form.pdf", doc.output())]
