"""No ``try: import … except ImportError`` left from the days when a sibling module did not exist
yet: the product's own modules are always there, so such a fallback only hides a broken import.
A package that may truly be absent would be listed here, with the reason."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
PACKAGES = ("core", "guide", "intake", "reservations", "staff", "rules", "knowledge")
OPTIONAL: dict[str, str] = {}  # "path": "why the import may fail in a correct installation"
FALLBACK = re.compile(r"except\s*\(?[^)\n:]*\bImportError\b")


def test_no_import_error_fallbacks_in_the_product():
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = str(path.relative_to(ROOT))
            if relative not in OPTIONAL and FALLBACK.search(path.read_text(encoding="utf-8")):
                found.append(relative)
    assert found == [], "import the module directly (lazily only where an import cycle needs it)"
