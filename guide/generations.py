"""Records which ruleset generation each worker served (an audit trail of rule versions)."""
from __future__ import annotations

import logging
import socket

from flask import current_app
from sqlalchemy.exc import SQLAlchemyError

from core.db import db
from core.models import RulesetGeneration
from rules.ruleset import Rulebook

log = logging.getLogger(__name__)
_recorded: set[tuple[str, str]] = set()


def record_generation(book: Rulebook, municipality: str) -> None:
    """Once per process and version: a row in ruleset_generation. Never fails a request."""
    key = (id(current_app._get_current_object()), book.version)  # per app (tests run several), cheap
    if key in _recorded:
        return
    _recorded.add(key)
    try:
        db.session.add(RulesetGeneration(
            version=book.version, municipality=municipality, procedures=len(book.kb.procedures),
            rules=sum(len(er.rules) for er in book.events.values()), host=socket.gethostname()[:255]))
        db.session.commit()
    except SQLAlchemyError as exc:
        db.session.rollback()
        log.warning("could not record the ruleset generation (has `flask db upgrade` run?): %s",
                    str(exc).splitlines()[0])
