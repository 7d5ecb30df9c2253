"""Staff accounts, login with TOTP, server-side sessions and roles (being written)."""
from __future__ import annotations

from flask import Flask


def init_auth(app: Flask) -> None:
    return None
