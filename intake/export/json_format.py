"""application.json: the application exactly as the back-office API's get returns it."""
from __future__ import annotations

import json

from intake.export.item import ExportItem

NAME = "json"


def files(item: ExportItem) -> list[tuple[str, bytes]]:
    return [("application.json", json.dumps(item.body, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8"))]
