"""The city's loaded pack (knowledge + rules) for the running app: every service reads it here, none through
another service. The holder is put in ``app.extensions["rulebook"]`` by the app factory (app.py)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from flask import current_app

if TYPE_CHECKING:  # type only: at run time core stays below rules
    from rules.ruleset import Rulebook


def rulebook() -> Rulebook:
    """The current generation; take it once per request and use that one throughout."""
    return current_app.extensions["rulebook"].maybe_reload()
