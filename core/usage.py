"""(stub: filled in by the usage work)"""
from __future__ import annotations

from flask import Flask


def init_usage(app: Flask) -> None:
    return None
