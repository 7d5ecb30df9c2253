"""補正の定型文: the stock phrases a department offers when it asks a resident to correct an
application (knowledge/packs/<pack>/correction_phrases.yaml). Staff add their department's own
phrases on the console (staff/correction_phrases.py); these are the starters every department has.

Plain Python (pydantic + the pack's YAML reader): errors name file, line and field, as for every
other pack file.
"""
from __future__ import annotations

from pathlib import Path

from pydantic import Field, HttpUrl, model_validator

from knowledge.loader import PACKS_DIR, default_pack_name, read_doc, validate_doc
from knowledge.schema import ID_PATTERN, Strict
from knowledge.yamlfile import KnowledgeError

FILENAME = "correction_phrases.yaml"
MAX_PHRASE = 300  # characters: a phrase is a sentence or two, not a letter


class Phrase(Strict):
    id: str = Field(pattern=ID_PATTERN)
    text: str = Field(min_length=1, max_length=MAX_PHRASE)  # Japanese, 敬体: what the resident reads


class PhrasesFile(Strict):
    source: str = Field(min_length=1)  # where the wording comes from (a note for curators)
    source_url: HttpUrl | None = None
    common: list[Phrase] = Field(default_factory=list)  # offered to every department
    departments: dict[str, list[Phrase]] = Field(default_factory=dict)  # department id → its own

    @model_validator(mode="after")
    def _unique_ids(self) -> PhrasesFile:
        seen: set[str] = set()
        for phrase in [*self.common, *(p for items in self.departments.values() for p in items)]:
            if phrase.id in seen:
                raise ValueError(f"phrase id '{phrase.id}' is used twice")
            seen.add(phrase.id)
        return self

    def for_department(self, department_id: str) -> list[Phrase]:
        """The department's own starters first, then the common ones."""
        return [*self.departments.get(department_id, []), *self.common]


def load_phrases(name: str | None = None, packs_dir: Path = PACKS_DIR,
                 department_ids: set[str] | None = None) -> PhrasesFile:
    """The pack's starter phrases, validated; ``department_ids``: the pack's departments (a
    phrase list for an unknown department is an error). No file: no starters."""
    path = packs_dir / (name or default_pack_name()) / FILENAME
    if not path.exists():
        return PhrasesFile(source="-")
    problems: list[str] = []
    doc = read_doc(path, problems)
    phrases = validate_doc(doc, PhrasesFile, problems) if doc else None
    if phrases is not None and department_ids is not None:
        for dep in phrases.departments:
            if dep not in department_ids:
                problems.append(doc.problem(("departments", dep), f"no department '{dep}' in departments.yaml"))
    if problems or phrases is None:
        raise KnowledgeError(problems)
    return phrases
