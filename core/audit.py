"""Tamper-evident audit log (stub until the audit work lands): ``record`` is the one entry point."""
from __future__ import annotations

from typing import Any

from flask import Flask


def record(action: str, *, target: str = "", result: str = "ok", details: dict[str, Any] | None = None,
           actor: str | None = None, role: str | None = None) -> None:
    """Append one audit record (actor, role, IP and request id come from the request context)."""
    return None


def init_audit(app: Flask) -> None:
    return None
