"""(stub: filled in by the monitoring work)"""
from __future__ import annotations

from flask import Flask


def init_monitoring(app: Flask) -> None:
    return None
