"""The English catalog: every message once, every message translated (several people add
entries to it by hand; a repeated msgid would make one translation win silently)."""
from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po

CATALOG = Path(__file__).resolve().parents[2] / "translations" / "en" / "LC_MESSAGES" / "messages.po"


def test_no_message_is_listed_twice():
    text = CATALOG.read_text(encoding="utf-8")
    ids = re.findall(r'^(?:msgctxt ((?:".*"\n)+))?msgid ((?:".*"\n)+)', text + "\n", flags=re.MULTILINE)
    seen: set[tuple[str, str]] = set()
    twice = []
    for context, raw in ids:
        key = ("".join(re.findall(r'"(.*)"', context)), "".join(re.findall(r'"(.*)"', raw)))
        if key and key in seen:
            twice.append(key)
        seen.add(key)
    assert twice == []


def test_every_message_has_an_english_translation():
    with CATALOG.open("rb") as fh:
        catalog = read_po(fh)
    missing = [m.id for m in catalog if m.id and not (m.string if isinstance(m.string, str) else all(m.string))]
    assert missing == []
