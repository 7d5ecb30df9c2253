"""The catalogs are whole: the template holds every msgid the code and templates mark (a fresh
extraction finds no other), and every language the site speaks translates every one of them, with
the msgid's own placeholders and tags, やさしい日本語's furigana well formed, and the pack's glossary
terms used."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from core.furigana import NOTATION
from core.languages import CODES
from tests.unit.test_pack_translations import glossary, misused_terms

ROOT = Path(__file__).resolve().parents[2]
TRANSLATED = [code for code in CODES if code != "ja"]
VARIABLE = re.compile(r"%\(\w+\)[sd]")
TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*")
KANJI = re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf々]")


def _catalog(code: str):
    with open(ROOT / "translations" / code / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f)


def _ids(catalog) -> set:
    return {(m.context, m.id if isinstance(m.id, str) else tuple(m.id)) for m in catalog if m.id}


def _strings(message) -> list[str]:
    return [message.string] if isinstance(message.string, str) else list(message.string)


def test_the_template_holds_what_the_sources_mark(tmp_path):
    """`make translations` was run after the last change of a marked word (else a new word would
    be missing from every catalog unseen)."""
    pybabel = Path(sys.executable).with_name("pybabel")
    fresh = tmp_path / "fresh.pot"
    ignore = ".* _* tests bench docs migrations instance static translations"
    subprocess.run([str(pybabel), "-q", "extract", "-F", "babel.cfg", "-k", "N_", "--no-location", "--omit-header",
                    "--ignore-dirs", ignore, "-o", str(fresh), "."], cwd=ROOT, check=True, capture_output=True)
    with open(fresh, "rb") as f, open(ROOT / "translations" / "messages.pot", "rb") as g:
        assert _ids(read_po(f)) == _ids(read_po(g))


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_word_is_translated_once(code):
    with open(ROOT / "translations" / "messages.pot", "rb") as f:
        template = _ids(read_po(f))
    catalog = _catalog(code)
    assert _ids(catalog) == template
    untranslated = [m.id for m in catalog if m.id and not all(_strings(m))]
    assert untranslated == []
    assert not any(m.fuzzy for m in catalog if m.id)
    assert not catalog.fuzzy, "the header is marked fuzzy: pybabel compile skips the whole catalog"


@pytest.mark.parametrize("code", TRANSLATED)
def test_a_translation_keeps_the_msgids_placeholders_and_tags(code):
    wrong = []
    for m in _catalog(code):
        if not m.id:
            continue
        source = m.id if isinstance(m.id, str) else " ".join(m.id)
        for text in _strings(m):
            if set(VARIABLE.findall(text)) - set(VARIABLE.findall(source)) or \
                    sorted(TAG.findall(text)) != sorted(TAG.findall(source)):
                wrong.append((source[:40], text[:40]))
    assert wrong == []


def test_easy_japanese_writes_every_kanji_with_its_reading():
    bare = [(m.id, s) for m in _catalog("easy") if m.id for s in _strings(m) if KANJI.search(NOTATION.sub("", s))]
    assert bare == []


def test_the_catalogs_use_the_glossarys_terms():
    found = glossary("kakogawa")
    assert found is not None
    pairs = [(m.id, code, s) for code in TRANSLATED for m in _catalog(code)
             if m.id and isinstance(m.id, str) for s in _strings(m)]
    assert misused_terms(found.terms, pairs) == []
