"""A pack's translations kept beside its texts: ``translations/<code>.yaml`` maps a Japanese text
to its words in one language (``texts: {<ja>: <translation>}``), so a curator adds a language
without touching every procedure file, and a translator works from one file per language.

``read_yaml`` fills them in while a pack file is read: every mapping holding ``ja`` and ``en``
(a ``knowledge.schema.Text``) gets the languages it does not write inline (inline wins).
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from core import yaml_text
from core.languages import CODES

DIRECTORY = "translations"
TEXT_KEYS = frozenset(CODES)  # a mapping with only these keys is a text


def pack_directory(path: Path) -> Path | None:
    """The pack a file belongs to: the nearest folder above it holding ``pack.yaml``."""
    for parent in path.resolve().parents:
        if (parent / "pack.yaml").is_file():
            return parent
        if parent.name == "packs":
            return None
    return None


def translation_files(pack: Path) -> list[Path]:
    folder = pack / DIRECTORY
    return sorted(folder.glob("*.yaml")) if folder.is_dir() else []


def _stamp(pack: Path) -> tuple[tuple[str, float], ...]:
    return tuple((p.name, p.stat().st_mtime) for p in translation_files(pack))


SECTIONS = ("texts", "reasons")


@lru_cache(maxsize=16)
def _read(pack: Path, stamp: tuple[tuple[str, float], ...]) -> dict[str, dict[str, dict[str, str]]]:
    """``{section: {code: {ja: words}}}``: each file parsed once for both sections."""
    found: dict[str, dict[str, dict[str, str]]] = {section: {} for section in SECTIONS}
    for path in translation_files(pack):
        data = yaml_text.safe_load(path.read_text(encoding="utf-8")) or {}
        code = data.get("language") if isinstance(data, dict) else None
        if code not in TEXT_KEYS or code in ("ja", "en"):
            continue
        for section in SECTIONS:
            texts = data.get(section)
            if isinstance(texts, dict):
                found[section][code] = {str(k): str(v) for k, v in texts.items() if isinstance(v, str) and v.strip()}
    return found


def read_translations(pack: Path) -> dict[str, dict[str, dict[str, str]]]:
    """Both sections of a pack's translation files, ``{"texts": …, "reasons": …}``, as they are
    now (the loader keeps them with the knowledge base: requests read them there, no file)."""
    return _read(pack, _stamp(pack))


def translations_of(pack: Path) -> dict[str, dict[str, str]]:
    """``{code: {ja: translation}}`` of a pack's texts (read again when a file changes)."""
    return read_translations(pack)["texts"]


def reasons_of(pack: Path) -> dict[str, dict[str, str]]:
    """``{code: {Japanese reason: its words}}``: the generated reasons in the pack's languages."""
    return read_translations(pack)["reasons"]


def fill_in(data: Any, translations: dict[str, dict[str, str]]) -> Any:
    """``data`` with every text's missing languages filled in from ``translations`` (in place)."""
    if not translations:
        return data
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            ja = node.get("ja")
            if isinstance(ja, str) and isinstance(node.get("en"), str) and set(node) <= TEXT_KEYS:
                for code, texts in translations.items():
                    if code not in node and ja in texts:
                        node[code] = texts[ja]
                continue
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return data
