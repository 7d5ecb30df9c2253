"""(stub: filled in by the outbox work)"""
from __future__ import annotations

from flask import Flask


def init_outbox(app: Flask) -> None:
    return None
