"""The city is named by its pack, never in code: the facts' words take the pack's name in each
language, pack.yaml is checked like every other file, and the loaders default to MUNICIPALITY."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from knowledge.loader import load_pack
from knowledge.yamlfile import KnowledgeError
from rules.ruleset import build_rulebook
from rules.vocabulary import load_vocabulary
from tests.conftest import edit_file, line_of


def test_the_facts_words_name_the_pack_city_in_each_language():
    words = load_vocabulary(city={"ja": "みなと市", "en": "Minato", "easy": "みなとし"}).household["event"].values["moving_in"]
    assert words["ja"] == "他の市区町村や国外からみなと市に引っ越す"
    assert words["en"] == "you are moving into Minato"
    assert words["easy"] == "ほかの まちや がいこくから みなとしに ひっこす"


def test_without_a_city_the_words_say_this_city():
    words = load_vocabulary().household["facts.move"].values["into_city"]
    assert words["ja"] == "この市に引っ越してくる" and words["en"] == "you move into the city"
    assert "$city" not in str(load_vocabulary())


def test_each_rulebook_speaks_of_its_own_city():
    minato = build_rulebook(load_pack("minato")).vocab.member["insurance"].values["kokuho"]["by_event"]["moving_in"]
    assert minato["ja"] == "みなと市で国民健康保険に入る" and minato["en"] == "will join the National Health Insurance in Minato"


def test_an_unknown_contact_department_names_pack_yaml_and_its_line(pack):
    edit_file(pack / "pack.yaml", "contact_department: shimin", "contact_department: nowhere")
    with pytest.raises(KnowledgeError) as info:
        load_pack("kakogawa", pack.parent)
    line = line_of(pack / "pack.yaml", "contact_department")
    assert any(f"pack.yaml:{line}" in p and "nowhere" in p for p in info.value.problems), info.value.problems


def test_the_loaders_default_to_municipality(monkeypatch):
    from intake.forms import load_forms
    from reservations.loader import load_catalog
    monkeypatch.setenv("MUNICIPALITY", "minato")
    assert load_pack().pack.id == "minato"
    assert set(load_forms()) == {"tenshutsu_todoke"}
    assert set(load_catalog().services) == {"tennyu", "tenshutsu", "kokuho"}


def test_no_city_is_named_in_code_or_templates():
    """Every city-specific word comes from the pack: no pack's id or name in the code, templates or
    mail texts (the one default pack name, DEFAULT_PACK, is the exception)."""
    from knowledge.loader import PACKS_DIR
    root = Path(__file__).resolve().parents[2]
    names = set()
    for pack in (load_pack(p.name).pack for p in PACKS_DIR.iterdir() if (p / "pack.yaml").exists()):
        names |= {pack.id, pack.name.ja, pack.name.en, pack.words("en"), pack.words("ja"), pack.domain}
    named = re.compile("|".join(rf"(?<![A-Za-z]){re.escape(n)}(?![A-Za-z])" for n in sorted(names, key=len, reverse=True)),
                       re.IGNORECASE)
    files = [root / "app.py", root / "gunicorn.conf.py"] + [
        p for folder in ("core", "guide", "intake", "knowledge", "reservations", "rules", "staff", "templates", "static",
                         "bench", "migrations")
        for p in sorted((root / folder).rglob("*")) if p.suffix in (".py", ".html", ".txt", ".js", ".css", ".yaml")
        and PACKS_DIR not in p.parents]
    found = [f"{p.relative_to(root)}:{n}: {line.strip()}" for p in files
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
             if named.search(line) and not line.startswith("DEFAULT_PACK = ")]
    assert found == []


# --- issue 11: the first city is named only in its own pack -----------------------------------------

FIRST_CITY = re.compile("加古川|kakogawa|かこがわ|079-421|675-8501", re.IGNORECASE)  # 加古川市, 加古川町, Kakogawa, the domain …
SCANNED = {".py", ".html", ".js", ".css", ".txt", ".yaml", ".yml", ".json", ".toml", ".cfg", ".ini", ".mako",
           ".sh", ".po", ".md", ""}  # "": Makefile, .ci/run
PRUNED = {"__pycache__", "instance", "node_modules", "venv"}  # and every dot folder but .ci


def first_city_hits(root: Path) -> list[str]:
    """Every line of the tree that names the first city outside the places allowed to: its own pack
    (knowledge/packs/kakogawa), the tests, the documentation that describes the first customer
    (README.md, docs/*.md), catalog entries whose msgid takes the city as %(city)s, and the one
    default pack name (knowledge/loader.py DEFAULT_PACK)."""
    allowed_dirs = (root / "knowledge" / "packs" / "kakogawa", root / "tests")
    hits = []
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        dirs[:] = sorted(d for d in dirs if d not in PRUNED and (not d.startswith(".") or d == ".ci")
                         and here / d not in allowed_dirs)
        for name in sorted(files):
            path = here / name
            rel = path.relative_to(root).as_posix()
            if path.suffix not in SCANNED or rel == "README.md" or (rel.startswith("docs/") and path.suffix == ".md"):
                continue
            try:
                text = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue
            if path.suffix == ".po":
                hits += _catalog_hits(rel, text)
                continue
            hits += [f"{rel}:{n}: {line.strip()}" for n, line in enumerate(text.splitlines(), 1)
                     if FIRST_CITY.search(line) and not (rel == "knowledge/loader.py" and line.startswith('DEFAULT_PACK = "'))]
    return hits


def _catalog_hits(rel: str, text: str) -> list[str]:
    """A catalog entry may name the city only in the translation of a msgid with %(city)s (none does)."""
    hits, line = [], 1
    for entry in text.split("\n\n"):
        msgid = entry.split("msgstr", 1)[0]
        if FIRST_CITY.search(entry) and "%(city)s" not in msgid:
            offset = next(i for i, row in enumerate(entry.splitlines()) if FIRST_CITY.search(row))
            hits.append(f"{rel}:{line + offset}: {entry.splitlines()[offset].strip()}")
        line += entry.count("\n") + 2
    return hits


def test_the_first_city_is_named_only_in_its_own_pack():
    """Code, templates, static files, benches, translations, the Makefile, CI and the second pack:
    nothing names 加古川 / Kakogawa (the first customer) but its pack, tests and its documentation."""
    assert first_city_hits(Path(__file__).resolve().parents[2]) == []


def test_the_scan_finds_the_city_wherever_it_is_written(tmp_path):
    """The scan itself: a name in a bench, a stylesheet, a Makefile, a catalog entry or the second
    pack is found; the first pack, the tests, docs/*.md and %(city)s entries are left alone."""
    files = {
        "bench/walk.py": 'CITY = "加古川市"\n', "static/site.css": "/* Kakogawa */\n", "Makefile": "run:\n\tkakogawa\n",
        "knowledge/packs/minato/pack.yaml": "# copied from かこがわし\n",
        "knowledge/loader.py": 'DEFAULT_PACK = "kakogawa"\nOTHER = "kakogawa"\n',
        "translations/en/LC_MESSAGES/messages.po":
            '#: x.html:1\nmsgid "%(city)s ホーム"\nmsgstr "%(city)s home (Kakogawa)"\n\n'
            '#: x.html:2\nmsgid "加古川市"\nmsgstr "Kakogawa City"\n',
        "knowledge/packs/kakogawa/pack.yaml": "name: 加古川市\n", "tests/unit/test_x.py": "'加古川'\n",
        "docs/manual.md": "加古川市の職員向け\n", "README.md": "# 加古川市\n", "instance/app.log": "加古川\n",
    }
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text, encoding="utf-8")
    assert first_city_hits(tmp_path) == [
        "Makefile:2: kakogawa", 'bench/walk.py:1: CITY = "加古川市"',
        "knowledge/loader.py:2: OTHER = \"kakogawa\"", "knowledge/packs/minato/pack.yaml:1: # copied from かこがわし",
        "static/site.css:1: /* Kakogawa */", 'translations/en/LC_MESSAGES/messages.po:6: msgid "加古川市"']


def test_the_clerk_walk_residents_live_in_the_pack_city():
    """bench/clerk_walk.py's 30 applications (made without a browser) take the city, its prefecture,
    postal code, town and phone exchange from the pack, and pass their forms' JSON schemas."""
    from bench.clerk_walk import REJECTIONS, Home, applications_to_make
    from intake.forms import load_forms

    kb = load_pack("kakogawa")
    made = applications_to_make(kb, load_forms("kakogawa", kb=kb))
    assert len(made) == 30 and len({i for i, _, _ in made}) == 30
    address = made[0][2]["applicant_address"]
    assert address == {"postal_code": "6758501", "prefecture": "兵庫県", "city": kb.pack.name.ja,
                       "street": "加古川町北在家1521-3"}  # the city hall's (departments.yaml), the resident's lot
    assert made[0][2]["applicant_phone"] == "0794211000"
    assert Home.of(load_pack("minato")) == Home("9990001", "みなと県", "みなと市", "港町", "099900")
    assert REJECTIONS[0].format(city="みなと市").startswith("みなと市に住民登録がないため")
