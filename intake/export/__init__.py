"""The batch export for file transfer across the network layers (インターネット接続系 → 無害化 →
LGWAN接続系): one ZIP per application, written atomically, with a ``.done`` marker written after it.

Pluggable: each format is one module with ``NAME`` and ``files(item) -> list[(path, bytes)]``
(:mod:`.json_format`, :mod:`.csv_format`, :mod:`.pdf_format`), listed in :data:`EXPORTERS` and
chosen by the setting ``BACKOFFICE_EXPORT_FORMATS``. What every ZIP holds whatever the formats —
the attachments, the signature evidence and the manifest — is written by :mod:`.bundle`.
A ぴったりサービス-format adapter will be one more module here once the city has that
specification (docs/backoffice-export.md).

Plain Python except :mod:`.service` (the database, the settings, the audit) and :mod:`.cli`.
"""
from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

from intake.export import csv_format, json_format, pdf_format

EXPORTERS: dict[str, ModuleType] = {m.NAME: m for m in (json_format, csv_format, pdf_format)}


def register(module: ModuleType) -> None:
    """Add a format module (``NAME`` and ``files``) to the registry."""
    if not isinstance(getattr(module, "NAME", None), str) or not callable(getattr(module, "files", None)):
        raise TypeError(f"{module!r} is not an exporter: it needs NAME and files(item)")
    EXPORTERS[module.NAME] = module


def exporters(names: str) -> list[Callable]:
    """The ``files`` functions of the comma-separated format names (unknown names: ValueError)."""
    wanted = [n.strip() for n in names.split(",") if n.strip()]
    unknown = [n for n in wanted if n not in EXPORTERS]
    if unknown:
        raise ValueError(f"unknown export format(s): {', '.join(unknown)} (known: {', '.join(sorted(EXPORTERS))})")
    return [EXPORTERS[n].files for n in wanted]
