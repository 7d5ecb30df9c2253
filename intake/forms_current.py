"""The online forms of the pack being served (or of the draft a curator previews), read once per
generation of the pack, as reservations/current.py reads the catalogue.

Keyed by the generation itself (core.pack.PerGeneration), not by the rules' version: a form
changed on the console's form editor and published makes a new generation whose rules, and so
whose ``rulebook().version``, are the same (knowledge version and rules leave forms/ out). Caches
keyed by that version kept serving the form of before the publish, and a previewed draft's form
could be kept for the residents (docs/walks/sodai_gomi.md).

    current_forms()["juminhyo_utsushi"]      # intake.forms.Form
"""
from __future__ import annotations

from core.pack import PerGeneration
from intake.forms import Form, load_forms

_forms: PerGeneration[dict[str, Form]] = PerGeneration(
    lambda kb: load_forms(kb.directory.name, kb.directory.parent, kb=kb))


def current_forms() -> dict[str, Form]:
    """Procedure id → Form of the current generation (or the previewed draft)."""
    return _forms.get()
