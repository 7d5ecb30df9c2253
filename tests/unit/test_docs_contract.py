"""The contract a newcomer reads is the repository's own: docs/facts.md names every fact of the
vocabulary and every life event, docs/deadlines.md every kind of deadline the packs may use, and
no test or code reads a directory beside the project."""
from __future__ import annotations

import re
from pathlib import Path

from knowledge.loader import PACKS_DIR, load_pack
from rules.calendar import KINDS
from rules.vocabulary import load_vocabulary

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


def _names_in_tables(path: Path) -> set[str]:
    return set(re.findall(r"^\| `([a-z_0-9]+)` \|", path.read_text(encoding="utf-8"), re.M))


def test_facts_md_lists_every_fact_of_the_vocabulary():
    vocab = load_vocabulary()
    listed = _names_in_tables(DOCS / "facts.md")
    wanted = {p.split(".", 1)[1] for p in vocab.household if "." in p} | set(vocab.member)
    assert wanted - listed == set(), "facts.yaml names missing from docs/facts.md"
    assert listed - wanted - {"moving_in", "moving_within", "moving_out", "birth", "death", "marriage", "divorce"} == set()


def test_facts_md_lists_every_event_of_every_pack():
    listed = _names_in_tables(DOCS / "facts.md")
    for pack in sorted(p.name for p in PACKS_DIR.iterdir() if (p / "pack.yaml").exists()):
        assert set(load_pack(pack).events) <= listed, pack


def test_deadlines_md_explains_every_kind_of_deadline():
    listed = _names_in_tables(DOCS / "deadlines.md")
    assert set(KINDS) <= listed


def test_nothing_reads_a_directory_beside_the_project():
    beside = re.compile(r"""parents\[3\]|\.\./shared|/work/shared|["']shared["']\s*/""")
    found = [f"{path.relative_to(ROOT)}:{n}" for folder in ("app.py", "core", "guide", "intake", "knowledge",
                                                            "reservations", "rules", "staff", "tests", "bench")
             for path in ([ROOT / folder] if folder.endswith(".py") else sorted((ROOT / folder).rglob("*.py")))
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if beside.search(line) and path.name != "test_docs_contract.py"]
    assert found == []
