"""The console blueprints' own check of the policy table, after the staff guard in core/auth.py
(defence in depth: a blueprint registered without the guard still refuses)."""
from __future__ import annotations

from flask import abort, g, request

from core import audit, policy


def only_with_policy() -> None:
    """Without a permitted user for this endpoint: audited, and 403."""
    staff = getattr(g, "staff", None)
    if staff is None or not policy.allowed(request.endpoint, getattr(staff, "role", None)):
        audit.record("permission.denied", target=request.path, result="denied")
        abort(403)
