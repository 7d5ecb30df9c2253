"""Loads and validates a knowledge pack: schema per file, then cross-references between files."""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import networkx as nx
from pydantic import BaseModel, ValidationError

from knowledge.graph import build_graph, check_visits
from knowledge.schema import (
    BringFile,
    BringItem,
    Counter,
    Department,
    DepartmentsFile,
    EventsFile,
    FilerIdentity,
    GlossaryFile,
    LifeEvent,
    PackFile,
    Procedure,
    Question,
    QuestionsFile,
    Site,
    TranslationsFile,
)
from knowledge.translations import read_translations, translation_files
from knowledge.yamlfile import KnowledgeError, YamlDoc, read_yaml

PACKS_DIR = Path(__file__).resolve().parent / "packs"
DEFAULT_PACK = "kakogawa"  # the pack served when MUNICIPALITY is not set (core/config.py reads it here)
M = TypeVar("M", bound=BaseModel)


@dataclass
class KnowledgeBase:
    pack: PackFile
    directory: Path
    procedures: dict[str, Procedure]
    departments: dict[str, Department]
    counters: dict[str, tuple[Department, Counter]]
    items: dict[str, BringItem]
    events: dict[str, LifeEvent]
    questions: dict[str, Question]
    graph: nx.DiGraph
    docs: dict[str, YamlDoc] = field(default_factory=dict)  # procedure id -> its file
    version: str = ""
    city_hall: Site | None = None  # departments.yaml city_hall: the default place of departments
    filer_identity: FilerIdentity | None = None  # bring.yaml filer_identity
    # translations/<code>.yaml as loaded with the rest (reloaded with it: the files are in the
    # digest): {code: {ja: words}} of the texts, and of the generated reasons
    translated_texts: dict[str, dict[str, str]] = field(default_factory=dict)
    translated_reasons: dict[str, dict[str, str]] = field(default_factory=dict)

    def procedure_doc(self, pid: str) -> YamlDoc:
        return self.docs[pid]


def validate_doc(doc: YamlDoc, model: type[M], problems: list[str]) -> M | None:
    """The file's data as ``model``; on failure None, with one file:line:field problem per error."""
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        for err in exc.errors():
            problems.append(doc.problem(tuple(err["loc"]), err["msg"], err["type"], err.get("ctx")))
        return None


def read_doc(path: Path, problems: list[str]) -> YamlDoc | None:
    """The parsed file, or None with its syntax problem recorded."""
    try:
        return read_yaml(path)
    except KnowledgeError as exc:
        problems.extend(exc.problems)
        return None


def default_pack_name() -> str:
    """The pack named by MUNICIPALITY (the one the app serves), for tools called without a name."""
    return os.environ.get("MUNICIPALITY") or DEFAULT_PACK


def load_pack(name: str | None = None, packs_dir: Path = PACKS_DIR) -> KnowledgeBase:
    name = name or default_pack_name()
    directory = packs_dir / name
    if not directory.is_dir():
        raise KnowledgeError([f"{directory}: no knowledge pack named '{name}'"])
    problems: list[str] = []
    digest = hashlib.sha256()

    def one(filename: str, model: type[M]) -> tuple[M | None, YamlDoc | None]:
        path = directory / filename
        if not path.exists():
            problems.append(f"{path}:1: (file): missing")
            return None, None
        digest.update(path.read_bytes())
        doc = read_doc(path, problems)
        return (validate_doc(doc, model, problems) if doc else None), doc

    pack, pack_doc = one("pack.yaml", PackFile)
    for path in translation_files(directory):  # the texts' other languages (read into every file)
        digest.update(path.read_bytes())
        doc = read_doc(path, problems)
        if doc is not None:
            validate_doc(doc, TranslationsFile, problems)
            if doc.data and isinstance(doc.data, dict) and f"{doc.data.get('language')}.yaml" != path.name:
                problems.append(doc.problem(("language",), f"the language must match the file name '{path.stem}'"))
    if (directory / "glossary.yaml").exists():
        one("glossary.yaml", GlossaryFile)
    deps_file, deps_doc = one("departments.yaml", DepartmentsFile)
    bring_file, bring_doc = one("bring.yaml", BringFile)
    events_file, events_doc = one("events.yaml", EventsFile)
    questions_file, questions_doc = one("questions.yaml", QuestionsFile)

    procedures: dict[str, Procedure] = {}
    docs: dict[str, YamlDoc] = {}
    for path in sorted((directory / "procedures").glob("*.yaml")):
        digest.update(path.read_bytes())
        doc = read_doc(path, problems)
        proc = validate_doc(doc, Procedure, problems) if doc else None
        if proc is None or doc is None:
            continue
        if proc.id != path.stem:
            problems.append(doc.problem(("id",), f"the id must match the file name '{path.stem}'"))
        if proc.id in procedures:
            problems.append(doc.problem(("id",), f"duplicate procedure id '{proc.id}'"))
        procedures[proc.id] = proc
        docs[proc.id] = doc

    if problems:
        raise KnowledgeError(problems)
    assert pack and deps_file and bring_file and events_file and questions_file
    assert pack_doc and deps_doc and bring_doc and events_doc and questions_doc

    departments = {d.id: d for d in deps_file.departments}
    counters = {c.id: (d, c) for d in deps_file.departments for c in d.counters}
    items = {i.id: i for i in bring_file.items}
    events = {e.id: e for e in events_file.events}
    questions = {q.id: q for q in questions_file.questions}
    _unique(deps_doc, "departments", [d.id for d in deps_file.departments], problems)
    _unique(deps_doc, "departments", [c for d in deps_file.departments for c in (x.id for x in d.counters)], problems)
    _unique(bring_doc, "items", [i.id for i in bring_file.items], problems)
    _unique(events_doc, "events", [e.id for e in events_file.events], problems)
    _unique(questions_doc, "questions", [q.id for q in questions_file.questions], problems)

    if pack.contact_department not in departments:
        problems.append(pack_doc.problem(("contact_department",), f"unknown department '{pack.contact_department}'"))
    for pid, proc in procedures.items():
        doc = docs[pid]
        if proc.department not in departments:
            problems.append(doc.problem(("department",), f"unknown department '{proc.department}'"))
        elif proc.counter not in counters:
            problems.append(doc.problem(("counter",), f"unknown counter '{proc.counter}'"))
        elif counters[proc.counter][0].id != proc.department:
            problems.append(doc.problem(("counter",), f"counter '{proc.counter}' is not of department '{proc.department}'"))
        for i, bring in enumerate(proc.bring):
            if bring.item not in items:
                problems.append(doc.problem(("bring", i, "item"), f"unknown thing to bring '{bring.item}' (see bring.yaml)"))
        for i, req in enumerate(proc.requires):
            if req not in procedures:
                problems.append(doc.problem(("requires", i), f"unknown procedure '{req}'"))
            elif req == pid:
                problems.append(doc.problem(("requires", i), "a procedure cannot require itself"))
        seen_needed: set[str] = set()
        for i, needed in enumerate(proc.often_needed):
            if needed.procedure not in procedures:
                problems.append(doc.problem(("often_needed", i, "procedure"), f"unknown procedure '{needed.procedure}'"))
            elif needed.procedure == pid:
                problems.append(doc.problem(("often_needed", i, "procedure"), "a procedure cannot lead to itself"))
            elif needed.procedure in seen_needed:
                problems.append(doc.problem(("often_needed", i, "procedure"), f"'{needed.procedure}' is listed twice"))
            seen_needed.add(needed.procedure)
    for n, dep in enumerate(deps_file.departments):
        for m, counter in enumerate(dep.counters):
            for i, pid in enumerate(counter.closed_days.procedures if counter.closed_days else []):
                if pid not in procedures:
                    problems.append(deps_doc.problem(("departments", n, "counters", m, "closed_days", "procedures", i),
                                                     f"unknown procedure '{pid}'"))
    if bring_file.filer_identity:
        fid = bring_file.filer_identity
        for i, iid in enumerate([fid.item, *fid.equivalents]):
            if iid not in items:
                problems.append(bring_doc.problem(("filer_identity", "item" if i == 0 else "equivalents"),
                                                  f"unknown thing to bring '{iid}'"))
        for pid in fid.exceptions:
            if pid not in procedures:
                problems.append(bring_doc.problem(("filer_identity", "exceptions", pid), f"unknown procedure '{pid}'"))
    for n, event in enumerate(events_file.events):
        for i, qid in enumerate(event.questions):
            if qid not in questions:
                problems.append(events_doc.problem(("events", n, "questions", i), f"unknown question '{qid}'"))
    if problems:
        raise KnowledgeError(problems)

    tables = read_translations(directory)
    graph = build_graph(procedures, docs)  # raises KnowledgeError on a cycle
    # each counter visited once, offices outside the city hall last (raises KnowledgeError)
    check_visits(graph, {cid for cid, (d, _) in counters.items() if d.offsite}, docs)
    return KnowledgeBase(
        pack=pack, directory=directory, procedures=procedures, departments=departments,
        counters=counters, items=items, events=events, questions=questions, graph=graph,
        docs=docs, version=digest.hexdigest()[:16],
        city_hall=deps_file.city_hall, filer_identity=bring_file.filer_identity,
        translated_texts=tables["texts"], translated_reasons=tables["reasons"],
    )


def _unique(doc: YamlDoc, key: str, ids: list[str], problems: list[str]) -> None:
    seen: set[str] = set()
    for i, x in enumerate(ids):
        if x in seen:
            problems.append(doc.problem((key, i, "id"), f"duplicate id '{x}'"))
        seen.add(x)
