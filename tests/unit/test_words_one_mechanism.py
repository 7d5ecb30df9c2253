"""Words in code go through the Babel catalogs (core.words, flask_babel): no new inline
「"…" if locale == "en" else "…"」 branch (nor any other comparison with a locale: `en = lang ==
"en"`, `getattr(g, "locale", "ja") == "en"`), no new {"ja": …, "en": …} dict or Text(ja=…, en=…)
call, and no new message_ja / message_en pair of names in the platform's code. What is left is
listed below, file by file, with the reason it stays; a file may drop below its count (another
change removed one: then lower it), never rise above it."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("core", "guide", "intake", "reservations", "staff", "rules", "knowledge")
# any comparison with a locale: `if locale == "en"`, `x if g.locale != 'en' else y`,
# `getattr(g, "locale", "ja") == "en"`, `en = lang == "en"`, `"ja" is loc` …
BRANCH = re.compile(r"""(?:[!=]=|\bis(?:\s+not)?)\s*["'](?:ja|en|easy)["']|["'](?:ja|en|easy)["']\s*(?:[!=]=|\bis\b)""")
# a "ja" key in a dict literal (first or not), or a ja= keyword: {"ja": …}, {"en": …, "ja": …}, Text(ja=…)
JA_DICT = re.compile(r"""[{,]\s*["']ja["']\s*:|[(,]\s*ja\s*=(?!=)""")
# names of one thing per language: message_ja / message_en, title_ja, LABEL_EN …
PAIR = re.compile(r"""\b\w+_(?:ja|en)\b""", re.IGNORECASE)

# file → (most branches, most {"ja": dicts or ja= calls, most *_ja/*_en names), why they stay
ALLOWED: dict[str, tuple[int, int, int, str]] = {
    "core/words.py": (0, 1, 0, "a docstring names the {\"ja\": …} mapping Message replaces"),
    "intake/api.py": (0, 1, 0, "status label per language in the API's JSON (a contract: {ja, en})"),
    "intake/backoffice.py": (0, 3, 0, "status labels per language in the back-office JSON (a contract: {ja, en})"),
    "intake/openapi_parts.py": (0, 6, 0, "the schema of that {ja, en} label (a contract) and the back-office examples of it"),
    "intake/forms.py": (0, 1, 0, "a delivery counter's id as its own label (no words)"),
    "intake/payments/receipt.py": (1, 0, 18, "a date's layout (Japanese adds 和暦), not words; the procedure's and "
                                             "unit's names from the pack, per language, for the receipt"),
    "reservations/overrides.py": (0, 1, 0, "a closure reason staff typed: the same text in every language"),
    "staff/applications_display.py": (1, 0, 0, "a date's layout (Japanese adds 和暦), not words"),
    "staff/content_views.py": (0, 1, 12, "the fee form writes the pack's own {ja, en} unit of a fee (content, "
                                         "not the console's words)"),
    # rules/: the code's own words are msgids (answer_checks, request, vocabulary's "この市"); what is
    # left is grammar and layout, not messages
    "rules/wareki.py": (1, 0, 7, "a date's layout (ja/easy 「2026年4月15日（水）」, en \"Wed 15 April 2026\", "
                                 "CLDR for the others) and its weekday and month name tables, not words"),
    "rules/wording.py": (55, 9, 3, "the reason grammar: it builds ja, en and easy sentences from the pack's "
                                   "per-language phrases of knowledge/facts.yaml (particles, te-forms, English "
                                   "verb agreement and word order per language); zh, ko, vi, pt read the pack's "
                                   "translated reasons, keyed by the Japanese it writes"),
}


def _sources():
    for package in PACKAGES:
        yield from sorted((ROOT / package).rglob("*.py"))


def _counts(path: Path) -> tuple[int, int, int]:
    text = path.read_text(encoding="utf-8")
    return len(BRANCH.findall(text)), len(JA_DICT.findall(text)), len(PAIR.findall(text))


def test_no_new_language_branch_or_ja_en_dict_in_code():
    over = []
    for path in _sources():
        name = path.relative_to(ROOT).as_posix()
        found = _counts(path)
        *most, _why = ALLOWED.get(name, (0, 0, 0, ""))
        if any(n > m for n, m in zip(found, most, strict=True)):
            over.append(f"{name}: {found[0]} branch(es), {found[1]} {{'ja': …}} dict(s) or ja= call(s), "
                        f"{found[2]} *_ja/*_en name(s); allowed {tuple(most)}. "
                        "Use a msgid (core.words.N_, Message / flask_babel).")
    assert over == []


def test_the_allowances_are_not_stale():
    """An allowance above what its file holds would let a new branch in unseen: lower it."""
    stale = [name for name, (*most, _why) in ALLOWED.items()
             if not (ROOT / name).exists() or _counts(ROOT / name) != tuple(most)]
    assert stale == []


# templates: the page's words come from _() (the page's catalog); what is left, file by file
# (most branches on the locale, most *_ja/*_en names), why it stays
TEMPLATES_ALLOWED: dict[str, tuple[int, int, str]] = {
    "staff/templates/staff/content/editor.html": (0, 6, "the fee form's fields for the pack's {ja, en} unit of a fee"),
    "templates/accessibility_results.html": (1, 0, 'lang="ja" on the Japanese-only test results when the page '
                                                   "is read in another language (an attribute, not words)"),
    "intake/payments/templates/payments/receipt.html": (2, 4, "the procedure's and unit's names from the pack, "
                                                              "per language"),
}


def _templates():
    for folder in (*PACKAGES, "templates"):
        yield from sorted(p for p in (ROOT / folder).rglob("*") if p.suffix in (".html", ".txt"))


def test_no_new_language_branch_in_templates():
    """e.g. `{{ o.message_en if g.locale == 'en' else o.message_ja }}`: one Message (or _()) instead."""
    over = []
    for path in _templates():
        name = path.relative_to(ROOT).as_posix()
        branches, _dicts, pairs = _counts(path)
        most_branches, most_pairs, _why = TEMPLATES_ALLOWED.get(name, (0, 0, ""))
        if branches > most_branches or pairs > most_pairs:
            over.append(f"{name}: {branches} branch(es) on the locale, {pairs} *_ja/*_en name(s); "
                        f"allowed {most_branches}, {most_pairs}")
    assert over == []
    stale = [name for name, (b, p, _why) in TEMPLATES_ALLOWED.items()
             if not (ROOT / name).exists() or (_counts(ROOT / name)[0], _counts(ROOT / name)[2]) != (b, p)]
    assert stale == []


def test_the_guard_sees_what_it_is_meant_to_see(tmp_path):
    sample = ('a = "Yes" if locale == "en" else "はい"\n'
              'b = x.en if g.locale != \'en\' else x.ja\n'
              'c = {"ja": "はい", "en": "Yes"}\n'
              'd = text(locale, N_("はい"))\n'
              'e = "en" if getattr(g, "locale", "ja") == "en" else "ja"\n'
              'en = lang == "en"\n'
              'f = {"en": "Yes", "ja": "はい"}\n'
              'g = Text(ja="はい", en="Yes")\n'
              'h = Outcome(message_ja="はい", message_en="Yes")\n'
              'i = o.message_en if en else o.message_ja\n'
              'j = text(lang_of(locale), N_("はい")); k = {"code": 1}; m = locale in ("ja", "en")\n')
    path = tmp_path / "sample.py"
    path.write_text(sample, encoding="utf-8")
    assert _counts(path) == (4, 3, 4)


def _marked_msgids(path: Path) -> set[tuple[str | None, str]]:
    keywords = {**DEFAULT_KEYWORDS, "NP_": ((1, "c"), 2), "lazy_gettext": None, "lazy_pgettext": ((1, "c"), 2),
                "_l": None}
    found = set()
    for _line, message, _comments, context in extract_from_file("python", str(path), keywords=keywords):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found.add((context, msgid))
    return found


# the modules whose words moved into the catalogs in this change
MOVED = ("guide/presenter.py", "guide/answers.py", "core/policy.py", "intake/workflow.py", "intake/dispatch.py",
         "staff/audit_details.py", "staff/applications_display.py", "staff/certificates.py",
         "staff/reservations_views.py", "staff/application_stats.py", "reservations/person.py", "core/alerts.py",
         "core/monitoring.py", "core/outbox.py", "intake/payments/service.py", "staff/inbox_bulk.py",
         "reservations/wording.py", "intake/forms_schema.py", "intake/jpki.py", "intake/forms.py",
         "rules/answer_checks.py", "rules/request.py", "rules/vocabulary.py")


@pytest.mark.parametrize("module", MOVED)
def test_every_marked_msgid_has_an_english_translation(module):
    """Marked with N_ / NP_ / _l / lazy_pgettext, so extraction keeps them; and translated."""
    with (ROOT / "translations" / "en" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh)
    marked = _marked_msgids(ROOT / module)
    assert marked, module
    missing = [(c, m) for c, m in marked if not (catalog.get(m, context=c) and catalog.get(m, context=c).string)]
    assert missing == []


@pytest.mark.parametrize("locale", ["en", "easy"])
def test_catalogs_pass_babels_checks(locale):
    """What `pybabel compile` (without -f) checks: a translation uses only the msgid's placeholders."""
    with (ROOT / "translations" / locale / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh)
    problems = [(message.id, [str(e) for e in errors]) for message, errors in catalog.check() if errors]
    assert problems == []
