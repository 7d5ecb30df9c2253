"""The layers hold: the import-linter contracts of pyproject.toml pass on the real tree, and a wrong-direction
import written into a copy of the tree makes `lint-imports` (so `make lint`) fail, naming the contract."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("core", "knowledge", "rules", "guide", "intake", "reservations", "staff")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
LAYERS = "layers: staff → guide | intake | reservations → rules → knowledge → core"
INDEPENDENT = "the services are independent"


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    # grimp finds the packages of this root, not the repo's; wide lines so no contract name is wrapped
    env = {**os.environ, "PYTHONPATH": str(root), "COLUMNS": "300"}
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", "--config", str(root / "pyproject.toml")],
                          cwd=root, env=env, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the Python packages and pyproject.toml, to break on purpose."""
    for name in PACKAGES:
        shutil.copytree(ROOT / name, tmp_path / name,
                        ignore=shutil.ignore_patterns("__pycache__", "templates", "static", "packs", "*.yaml"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def add_import(root: Path, module: str, line: str) -> None:
    path = root / (module.replace(".", "/") + ".py")
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")


def broken(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line.removesuffix(" BROKEN") for line in result.stdout.splitlines() if line.endswith(" BROKEN")]


def test_the_real_tree_keeps_every_contract():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert LAYERS in result.stdout and "0 broken" in result.stdout


def test_the_untouched_copy_keeps_every_contract(tree):
    result = lint_imports(tree)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(("module", "line"), [
    ("core.audit", "from staff.audit_views import bp"),  # the platform wiring a staff page in itself
    ("core.db", "import rules.ruleset"),  # core reaching up to rules
    ("knowledge.graph", "from rules.conditions import parse"),  # the data reaching up to the engine
    ("rules.places", "from guide import presenter"),  # the engine reaching up to a service
    ("intake.workflow", "from staff import guard"),  # a service reaching up to the console
])
def test_an_import_against_the_direction_breaks_the_layers(tree, module, line):
    add_import(tree, module, line)
    result = lint_imports(tree)
    assert result.returncode == 1, result.stdout
    assert LAYERS in broken(result)


@pytest.mark.parametrize(("module", "line"), [
    ("reservations.person", "from intake.forms import normalize_kana"),
    ("guide.openapi", "from intake.openapi_parts import add_application_api"),
    ("intake.api", "from guide import presenter"),
])
def test_a_service_importing_another_breaks_their_independence(tree, module, line):
    add_import(tree, module, line)
    result = lint_imports(tree)
    assert result.returncode == 1, result.stdout
    assert any(name.startswith(INDEPENDENT) for name in broken(result)), result.stdout


def test_an_import_only_for_type_checking_is_no_dependency(tree):
    add_import(tree, "core.db", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from rules.ruleset import Rulebook")
    assert lint_imports(tree).returncode == 0


# --- one home for each shared helper ------------------------------------------------------------

def sources() -> list[Path]:
    return [p for name in PACKAGES for p in (ROOT / name).rglob("*.py")] + [ROOT / "app.py"]


@pytest.mark.parametrize(("needle", "home"), [
    ("hours=9", "core/japan_time.py"),  # the JST clock
    ("import segno", "core/qr.py"),  # QR codes
    ('"ぁ" <= c <= "ゖ"', "core/japanese_text.py"),  # ひらがな → カタカナ
    ("def external_url(", "core/links.py"),
    ("def to_wareki(", "rules/wareki.py"),
])
def test_each_shared_helper_has_one_home(needle, home):
    found = sorted(str(p.relative_to(ROOT)) for p in sources() if needle in p.read_text(encoding="utf-8"))
    assert found == [home]


def test_services_read_the_pack_through_core_not_through_the_guide():
    found = [str(p.relative_to(ROOT)) for p in sources() if "from guide import rulebook" in p.read_text(encoding="utf-8")]
    assert found == []
