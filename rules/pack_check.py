"""Every check a pack must pass before it serves residents, in one call: the same checks as
``flask knowledge check``, ``flask rules check`` and ``flask rules test`` (guide/cli.py), for a
pack in any folder (the repository's, or a curator's draft written out by core/pack_versions.py).

The services' own files (reservations, forms) are checked by the functions they contribute
(``app.extensions["pack_checks"]``, each ``(kb) -> problems``), passed in as ``extra``."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from knowledge.correction_phrases import load_phrases
from knowledge.loader import KnowledgeBase, load_pack
from knowledge.translations import TEXT_KEYS
from knowledge.yamlfile import KnowledgeError
from rules.check import check_rulebook
from rules.ruleset import Rulebook, build_rulebook
from rules.scenarios import run_scenario_files, scenario_files

PackCheckFn = Callable[[KnowledgeBase], list[str]]


@dataclass
class PackCheck:
    # each "file:line: field: message" where known; the rule checks' and the scenarios' are findings
    # (rules/findings.py) that the console words in the reader's language
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    scenarios_total: int = 0
    scenarios_passed: int = 0
    rules_total: int = 0
    rules_fired: int = 0
    book: Rulebook | None = None

    @property
    def ok(self) -> bool:
        return not self.problems and self.book is not None


def check_pack(name: str, packs_dir: Path, extra: Iterable[PackCheckFn] = ()) -> PackCheck:
    out = PackCheck()
    try:
        book = build_rulebook(load_pack(name, packs_dir))
    except KnowledgeError as exc:  # schema, cross-references, rule syntax: file, line and field
        out.problems.extend(exc.problems)
        return out
    kb = book.kb
    try:
        load_phrases(kb.directory.name, kb.directory.parent, department_ids=set(kb.departments))
    except KnowledgeError as exc:
        out.problems.extend(exc.problems)
    for check in extra:
        out.problems.extend(check(kb))
    report = check_rulebook(book)
    out.problems.extend(report.errors)  # findings: code, variables and place (rules/findings.py)
    out.warnings.extend(report.warnings)
    out.warnings.extend(missing_languages(kb))
    result = run_scenario_files(book, scenario_files(kb))
    out.problems.extend(result.file_problems)  # already file:line: field: message
    out.problems.extend(line for line in result.failures if line not in result.file_problems)
    out.scenarios_total, out.scenarios_passed = result.total, result.passed
    out.rules_total = sum(len(er.rules) for er in book.events.values())
    out.rules_fired = len(result.fired_rules)
    out.book = book
    return out


def missing_languages(kb: KnowledgeBase) -> list[str]:
    """A warning per procedure file with texts not written in every language of the pack
    (``pack.yaml`` ``languages``; inline or in ``translations/<code>.yaml``): a new procedure
    still waiting for its translations can be published, its residents read the fallback."""
    wanted = list(kb.pack.languages)
    out: list[str] = []
    for _pid, doc in sorted(kb.docs.items()):
        gaps: list[tuple[tuple, list[str]]] = []
        stack: list[tuple[object, tuple]] = [(doc.data, ())]
        while stack:
            node, loc = stack.pop()
            if isinstance(node, dict):
                if isinstance(node.get("ja"), str) and isinstance(node.get("en"), str) and set(node) <= TEXT_KEYS:
                    codes = [code for code in wanted if not node.get(code)]
                    if codes:
                        gaps.append((loc, codes))
                    continue
                stack.extend((value, loc + (key,)) for key, value in reversed(list(node.items())))
            elif isinstance(node, list):
                stack.extend((value, loc + (n,)) for n, value in reversed(list(enumerate(node))))
        if gaps:
            codes = [code for code in wanted if any(code in missing for _loc, missing in gaps)]
            fields = ", ".join(".".join(str(p) for p in loc) for loc, _ in gaps)
            out.append(doc.problem(gaps[0][0], f"not written in {', '.join(codes)} (the pack's languages): {fields}",
                                   "missing_languages", {"languages": ", ".join(codes), "count": len(gaps),
                                                         "locs": [loc for loc, _ in gaps]}))
    return out
