"""(stub: filled in by the crypto work)"""
from __future__ import annotations

from flask import Flask


def init_crypto(app: Flask) -> None:
    return None
