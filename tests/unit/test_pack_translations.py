"""Every text of a pack is written in every language its pack.yaml lists (inline, or in
translations/<code>.yaml keyed by the Japanese), no translation file keeps an entry for a text
that is gone, the glossary's terms are used, and the reasons the guide writes for the pack's own
scenarios have their words in each language the reasons are translated into."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from core.furigana import NOTATION
from core.languages import CODES
from knowledge.loader import PACKS_DIR, load_pack
from knowledge.schema import GlossaryFile, TranslationsFile
from knowledge.translations import TEXT_KEYS, translation_files
from knowledge.yamlfile import read_yaml

PACKS = sorted(p.name for p in PACKS_DIR.iterdir() if (p / "pack.yaml").is_file())
KANJI = re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf々]")


def _texts(pack: Path):
    """(file, text mapping) of every {ja, en, …} text in the pack's files, translations filled in."""
    for path in sorted(pack.rglob("*.yaml")):
        if path.parent.name == "translations" or "scenarios" in path.parts or path.name == "glossary.yaml":
            continue
        stack = [read_yaml(path).data]
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                if isinstance(node.get("ja"), str) and isinstance(node.get("en"), str) and set(node) <= TEXT_KEYS:
                    yield path.relative_to(pack), node
                    continue
                stack.extend(node.values())
            elif isinstance(node, list):
                stack.extend(node)


@pytest.mark.parametrize("name", PACKS)
def test_every_text_is_in_every_language_of_its_pack(name):
    kb = load_pack(name)
    assert set(kb.pack.languages) <= set(CODES)
    missing = [f"{where}: {text['ja'][:30]} ({code})" for where, text in _texts(kb.directory)
               for code in kb.pack.languages if not text.get(code)]
    assert missing == []


@pytest.mark.parametrize("name", PACKS)
def test_every_procedure_has_its_name_and_description_in_every_language(name):
    kb = load_pack(name)
    for proc in kb.procedures.values():
        for code in kb.pack.languages:
            assert proc.name.has(code) and proc.description.has(code), (proc.id, code)


@pytest.mark.parametrize("name", PACKS)
def test_no_translation_is_kept_for_a_text_that_is_gone(name):
    from rules.ruleset import build_rulebook
    book = build_rulebook(load_pack(name))
    kb = book.kb
    japanese = {text["ja"] for _where, text in _texts(kb.directory)}
    # and the facts' own words (knowledge/facts.yaml writes ja, en and easy; guide.presenter.fact_words)
    for scope in (book.vocab.household, book.vocab.member):
        for fact in scope.values():
            japanese |= {fact.label.get("ja")} | {words.get("ja") for words in fact.values.values()}
    for path in translation_files(kb.directory):
        data = TranslationsFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
        stale = sorted(set(data.texts) - japanese)
        assert stale == [], f"{path.name}: no pack text reads {stale[:3]}"
        assert data.language in kb.pack.languages, path.name


@pytest.mark.parametrize("name", PACKS)
def test_easy_japanese_writes_every_kanji_with_its_reading(name):
    kb = load_pack(name)
    if "easy" not in kb.pack.languages:
        pytest.skip("the pack has no やさしい日本語")
    bare = [f"{where}: {text['easy']}" for where, text in _texts(kb.directory)
            if text.get("easy") and KANJI.search(NOTATION.sub("", text["easy"]))]
    assert bare == []


def glossary(name: str) -> GlossaryFile | None:
    path = PACKS_DIR / name / "glossary.yaml"
    return GlossaryFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8"))) if path.exists() else None


def misused_terms(terms, pairs):
    """(text, language, term) where a Japanese text names the term and its translation uses none of
    the term's accepted forms (furigana read as its kanji; case ignored)."""
    wrong = []
    for ja, code, translated in pairs:
        readable = NOTATION.sub(lambda m: m.group(1) + m.group(2), translated).lower()
        for term in terms:
            accepted = [form.lower() for form in term.accepted(code)]
            if accepted and term.ja in ja and not any(NOTATION.sub(lambda m: m.group(1) + m.group(2), form) in readable
                                                      or form in readable for form in accepted):
                wrong.append((ja[:40], code, term.ja))
    return wrong


@pytest.mark.parametrize("name", PACKS)
def test_the_packs_texts_use_the_glossarys_terms(name):
    """Every text in the translated languages; in English (written with the pack, where a short
    form label leans on its page: "Layout" under 住民票) the names and descriptions of procedures
    and the things to bring."""
    found = glossary(name)
    if found is None:
        pytest.skip("no glossary in this pack")
    kb = load_pack(name)
    pairs = [(text["ja"], code, text[code]) for _where, text in _texts(kb.directory)
             for code in kb.pack.languages if code not in ("ja", "en") and text.get(code)]
    named = [t for p in kb.procedures.values() for t in (p.name, p.description)] + [i.name for i in kb.items.values()]
    pairs += [(t.ja, "en", t.en) for t in named]
    assert misused_terms(found.terms, pairs) == []


def test_a_misused_term_is_found():
    found = glossary("kakogawa")
    assert found is not None
    assert misused_terms(found.terms, [("在留カードを持ってきてください。", "vi", "Hãy mang theo thẻ căn cước.")]) == [
        ("在留カードを持ってきてください。", "vi", "在留カード")]
    assert misused_terms(found.terms, [("在留カード", "vi", "Thẻ cư trú")]) == []


def test_every_reason_the_scenarios_reach_is_translated():
    """The reasons the guide writes in ja, en and easy; the other languages of the pack read them
    from its table (a reason missing there would be shown in English)."""
    from rules.ruleset import build_rulebook
    from rules.scenarios import untranslated_reasons
    book = build_rulebook(load_pack("kakogawa"))
    tabled = [code for code in book.kb.pack.languages if code not in ("ja", "en", "easy")]
    assert tabled == ["zh", "ko", "vi", "pt"]
    assert untranslated_reasons(book, tabled) == {code: [] for code in tabled}
