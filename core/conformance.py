"""The accessibility test results (試験結果, JIS X 8341-3:2016): one data file,
docs/accessibility-conformance.yaml, read for the page /accessibility/results, for the browser test
that opens every page it lists (tests/browser/test_conformance_pages.py) and for the Markdown
document docs/accessibility-conformance.md, which this module writes:

    .venv/bin/python -m core.conformance 市の名前 > docs/accessibility-conformance.md

(the name of the pack's city, as knowledge.loader.load_pack().pack.name.ja says it)

(tests/unit/test_conformance_doc.py fails when the document is not what this prints.)"""
from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml

DATA = Path(__file__).resolve().parents[1] / "docs" / "accessibility-conformance.yaml"
RESULTS = ("適合", "不適合", "適用なし", "未確認")


@cache
def results() -> dict[str, Any]:
    """The data file, with the page counts filled into the selection text."""
    data = _joined(yaml.safe_load(DATA.read_text(encoding="utf-8")))
    for criterion in data["criteria"]:
        criterion["id"] = str(criterion["id"])
        if criterion["result"] not in RESULTS:
            raise ValueError(f"{DATA.name}: {criterion['id']}: unknown result {criterion['result']!r}")
    pages = data["pages"]
    data["representative_pages"] = [p for p in pages if not p.get("random")]
    data["random_pages"] = [p for p in pages if p.get("random")]
    data["counts"] = {r: sum(c["result"] == r for c in data["criteria"]) for r in RESULTS}
    return data


def _joined(value: Any) -> Any:
    """YAML's folded lines joined without the space Japanese does not put after 、 and 。"""
    if isinstance(value, str):
        return re.sub(r"(?<=[、。）」]) ", "", value)
    if isinstance(value, list):
        return [_joined(v) for v in value]
    if isinstance(value, dict):
        return {k: _joined(v) for k, v in value.items()}
    return value


def filled(text: str, city: str) -> str:
    """``text`` with the city's name and the page counts."""
    data = results()
    return text.format(city=city, representative=len(data["representative_pages"]),
                       random=len(data["random_pages"]), population=POPULATION)


# the pages the random ones were drawn from (docs/accessibility-conformance.yaml, selection):
# 72 procedures, 7 life events and 13 online forms, each in 7 languages
POPULATION = (72 + 7 + 13) * 7


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|") or "―"


def markdown(city: str) -> str:
    """docs/accessibility-conformance.md: the same content as the page, in WAIC's order."""
    data = results()
    out = [
        "# 試験結果（JIS X 8341-3:2016）",
        "",
        f"<!-- {DATA.name} から core/conformance.py が作ります。直接は編集しないでください。 -->",
        "",
        f"「{city} 手続きガイド」のウェブアクセシビリティの試験結果です。"
        "アクセシビリティ方針はサイトの「ウェブアクセシビリティ方針」（/accessibility）、"
        "この内容はサイトの「試験結果」（/accessibility/results）でも公開しています。",
        "",
        "## 規格の名称と適合レベル",
        "",
        f"{data['standard']}　適合レベル {data['level']}",
        "",
        "## 表記",
        "",
        f"**{data['notation']}**",
        "",
        filled(data["notation_reason"], city),
        "",
        "### 今後の対応",
        "",
        filled(data["plan"], city),
        "",
        "## 対象範囲",
        "",
    ]
    for scope in data["scopes"]:
        out += [f"- {scope['name']}：{filled(scope['text'], city)}"]
    out += ["", "### 職員用の画面", "", filled(data["staff_scope"], city), "",
            "## 依存した技術", "", "、".join(data["technologies"]), "", filled(data["javascript"], city), "",
            "## 試験日", "", f"{data['test_date']}", "", filled(data["test_run"], city), "",
            "## 試験したページ", "", filled(data["selection"], city), "",
            "| 番号 | ページ | URL | 選び方 |", "| --- | --- | --- | --- |"]
    for n, page in enumerate(data["pages"], 1):
        how = "ランダム" if page.get("random") else "代表"
        made = "（試験のときに作成）" if page.get("made") else ""
        out.append(f"| {n} | {_cell(page['kind'])} | `{page['path']}`{made} | {how} |")
    out += ["", "## 自動の試験の内容", "",
            "tests/browser/test_conformance_pages.py が、上のすべてのページで次を確認します。", ""]
    out += [f"- `{key}`：{text}" for key, text in data["checks"].items()]
    counts = "、".join(f"{r} {n}" for r, n in data["counts"].items() if n)
    out += ["", "## 達成基準チェックリスト", "",
            f"WCAG 2.0（JIS X 8341-3:2016）の適合レベル A と AA の達成基準 {len(data['criteria'])} 項目です（{counts}）。"
            "「未確認」は、人による確認が必要で、まだ確認していない達成基準です。",
            "", "| 達成基準 | 適合レベル | 適用 | 結果 | 満たし方 | 試験の方法（自動） | 人による確認 |",
            "| --- | --- | --- | --- | --- | --- | --- |"]
    for c in data["criteria"]:
        out.append(f"| {c['id']} {_cell(c['name'])} | {c['level']} | {c['applies']} | {c['result']} | "
                   f"{_cell(c['how'])} | {_cell(c['tests'])} | {_cell(c['manual'])} |")
    return "\n".join(out) + "\n"


if __name__ == "__main__":  # pragma: no cover - the command in the docstring
    import sys

    print(markdown(sys.argv[1]), end="")
