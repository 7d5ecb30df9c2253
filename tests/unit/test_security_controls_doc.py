"""docs/security/controls.md (the map of the guideline's and ISMAP's control areas to this product)
cannot rot: every file, test function, code name, make target, flask command and setting it cites
exists; every control it calls 対応 names a test; every control it leaves to others names who; and
every area is there."""
from __future__ import annotations

import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "security" / "controls.md"

SPAN = re.compile(r"`([^`\n]+)`")
PATH = re.compile(r"[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)*/?")
FILE_ENDINGS = (".py", ".md", ".yaml", ".yml", ".toml", ".txt", ".json", ".cfg", ".ini", ".sh")
SETTING = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+")  # DATA_KEYS, not AES or DENY
COMMAND = re.compile(r"(?:command|group|AppGroup)\(\s*\"([a-z][a-z0-9-]*)\"")
STATES = ("対応", "一部対応", "未対応", "製品外")
RESPONSIBLE = ("市", "運用事業者", "データセンター")

# the areas the issue asks for: the guideline's, then ISMAP's (JIS Q 27001 附属書A A.5–A.18)
GUIDELINE_AREAS = ["組織体制", "情報資産の分類と管理", "物理的セキュリティ", "人的セキュリティ", "技術的セキュリティ",
                   "アクセス制御", "不正プログラム対策", "不正アクセス対策", "ログの取得", "暗号化", "運用", "監視",
                   "障害", "外部委託", "例外措置", "外部サービス", "評価・見直し"]
ISMAP_GROUPS = {
    "A.5": "情報セキュリティのための方針群", "A.6": "情報セキュリティのための組織", "A.7": "人的資源のセキュリティ",
    "A.8": "資産の管理", "A.9": "アクセス制御", "A.10": "暗号", "A.11": "物理的及び環境的セキュリティ",
    "A.12": "運用のセキュリティ", "A.13": "通信のセキュリティ", "A.14": "システムの取得、開発及び保守",
    "A.15": "供給者関係", "A.16": "情報セキュリティインシデント管理",
    "A.17": "事業継続マネジメントにおける情報セキュリティの側面", "A.18": "順守",
}


def _defines(source: str, name: str) -> bool:
    """A function or class of that name, or a module-level name assigned (annotated or not)."""
    pattern = rf"^\s*(?:async\s+)?(?:def|class)\s+{re.escape(name)}\b|^{re.escape(name)}\s*(?::[^=\n]*)?="
    return re.search(pattern, source, re.M) is not None


def _is_path(span: str) -> bool:
    if span.startswith("/") or not PATH.fullmatch(span):
        return False  # a URL path of the app (/staff/…), or words
    return "/" in span or span.endswith(FILE_ENDINGS)


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.is_file() else ""


def _command_names(root: Path) -> set[str]:
    """Every click command and group the project declares (``flask <group> <command>``)."""
    names: set[str] = set()
    for folder, subfolders, files in os.walk(root):
        # not the venvs (hidden), the instance data or the tests' own helpers
        subfolders[:] = [s for s in subfolders if not s.startswith(".") and s not in ("tests", "instance")]
        for file in files:
            if file.endswith(".py"):
                names |= set(COMMAND.findall(_read(Path(folder) / file)))
    return names


def problems(text: str, root: Path) -> list[str]:
    """What the text cites that the tree at ``root`` does not have, one line each."""
    found: list[str] = []
    makefile = _read(root / "Makefile")
    settings = _read(root / "docs" / "configuration.md")  # generated from core/settings.py
    commands: set[str] | None = None
    for span in SPAN.findall(text):
        if "…" in span:
            continue  # a pattern in prose, not a reference
        if "::" in span:
            path, _, name = span.partition("::")
            file = root / path
            if not file.is_file():
                found.append(f"{span}: no file {path}")
            elif not _defines(file.read_text(encoding="utf-8"), name):
                found.append(f"{span}: {path} defines no {name}")
        elif span.startswith("test_"):
            found.append(f"{span}: a test named without its file (write tests/…/test_x.py::{span})")
        elif span.startswith("make "):
            target = span.split()[1]
            if not re.search(rf"^{re.escape(target)}:", makefile, re.M):
                found.append(f"{span}: the Makefile has no target {target}")
        elif span.startswith("flask "):
            commands = _command_names(root) if commands is None else commands
            words = [w for w in span.split()[1:] if not w.startswith("-")]
            found += [f"{span}: no command {w}" for w in words if w not in commands]
        elif SETTING.fullmatch(span) and f"`{span}`" not in settings:
            found.append(f"{span}: not a setting of docs/configuration.md")
        elif _is_path(span) and not (root / span).exists():
            found.append(f"{span}: no such file or folder")
    return found


def control_rows(text: str) -> list[list[str]]:
    """The rows of the control tables: | control | state | what the product does | tests | others |."""
    rows = []
    for line in text.splitlines():
        if not line.startswith("|"):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        if len(cells) == 5 and cells[1] in STATES:
            rows.append(cells)
    return rows


def test_everything_the_map_cites_exists():
    assert problems(DOC.read_text(encoding="utf-8"), ROOT) == []


def test_the_checker_catches_each_kind_of_rot(tmp_path):
    (tmp_path / "core").mkdir()
    (tmp_path / "core" / "thing.py").write_text("LIMIT: int = 3\n\nclass Box:\n    pass\n\ndef run():\n    pass\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_thing.py").write_text("def test_it_runs():\n    pass\n")
    (tmp_path / "core" / "cli.py").write_text('tool_cli = AppGroup("tool")\n\n@tool_cli.command("check")\ndef check():\n    pass\n')
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "configuration.md").write_text("| `DATA_KEYS` | keys |\n")
    (tmp_path / "Makefile").write_text("lint:\n\ttrue\n")
    sound = ("`core/thing.py` `core/thing.py::LIMIT` `core/thing.py::Box` `core/thing.py::run` "
             "`tests/test_thing.py::test_it_runs` `make lint` `/staff/x` `DATA_KEYS` `tests/…::test_…` "
             "`flask tool check --all` `AES` `Sec-Fetch-Site`")
    assert problems(sound, tmp_path) == []
    rotten = ("`core/gone.py` `core/thing.py::gone` `tests/test_thing.py::test_it_flies` `tests/gone.py::test_x` "
              "`test_it_runs` `make audit` `docs/gone/` `flask tool fix` `GONE_KEYS`")
    found = problems(rotten, tmp_path)
    assert [line.split(":")[0] for line in found] == [
        "core/gone.py", "core/thing.py", "tests/test_thing.py", "tests/gone.py", "test_it_runs",
        "make audit", "docs/gone/", "flask tool fix", "GONE_KEYS"]


def test_controls_called_done_name_a_test_and_the_others_name_who_is_responsible():
    rows = control_rows(DOC.read_text(encoding="utf-8"))
    assert len(rows) >= 40  # the guideline's tables are all read (a change of layout would read none)
    for control, state, _does, tests, others in rows:
        if state == "対応":
            assert re.search(r"`tests/[^`]+::test_\w+`", tests), f"{control}: 対応 without a test"
        elif state == "製品外":
            assert any(who in others for who in RESPONSIBLE), f"{control}: 製品外 without who is responsible"
        else:  # 一部対応 / 未対応: the rest is someone's, or missing, and the row says which
            assert others not in ("", "—"), f"{control}: {state} without what is left or who does it"


def test_every_area_of_the_guideline_and_every_ismap_group_is_there():
    text = DOC.read_text(encoding="utf-8")
    headings = "\n".join(line for line in text.splitlines() if line.startswith("#"))
    part_one, _, part_two = text.partition("## 第2部")
    for area in GUIDELINE_AREAS:
        assert area in part_one, area
    for number, name in ISMAP_GROUPS.items():
        assert f"### {number} {name}" in headings, number
    assert "未対応" in part_two and "## 未対応の一覧" in headings


def test_the_sources_are_cited_and_the_readme_links_the_map():
    text = DOC.read_text(encoding="utf-8")
    sources = text.partition("## 出典")[2]
    assert len(re.findall(r"：https?://\S+", sources)) >= 5
    assert "docs/security/controls.md" in (ROOT / "README.md").read_text(encoding="utf-8")
