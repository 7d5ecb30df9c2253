"""Dependencies are pinned with hashes (issue 16, "Vulnerabilities"): every package pip installs,
direct or not, is named with its exact version and at least one sha256, so an index that serves a
changed file is refused; the locks were compiled from the .in files (each name there is in its
lock at the same version) and the test lock agrees with the runtime lock."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LOCKS = ("requirements.txt", "requirements-dev.txt", "requirements-tools.txt")
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[a-z0-9,_-]+\])?==([^\s\\;]+)")


def _name(raw: str) -> str:
    return re.sub(r"[-_.]+", "-", raw).lower()


def entries(lock: str) -> dict[str, tuple[str, list[str]]]:
    """{name: (version, hashes)} of a compiled lock (its requirement lines and their --hash lines)."""
    out: dict[str, tuple[str, list[str]]] = {}
    current = None
    for line in (ROOT / lock).read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = _PIN.match(stripped)
        if match:
            current = _name(match.group(1))
            out[current] = (match.group(2), [])
        elif stripped.startswith("--hash=sha256:"):
            assert current is not None, f"{lock}: a hash before any requirement"
            out[current][1].append(stripped.split(":", 1)[1].rstrip(" \\"))
        else:
            raise AssertionError(f"{lock}: a line that is neither a pin nor a hash: {stripped!r}")
    return out


def direct(source: str) -> dict[str, str]:
    """{name: version} named in a .in file (its own lines; -r/-c lines are other files)."""
    out = {}
    for line in (ROOT / source).read_text(encoding="utf-8").splitlines():
        stripped = line.split("#", 1)[0].strip()
        if not stripped or stripped.startswith("-"):
            continue
        match = _PIN.match(stripped)
        assert match, f"{source}: not pinned with ==: {stripped!r}"
        out[_name(match.group(1).split("[")[0])] = match.group(2)
    return out


@pytest.mark.parametrize("lock", LOCKS)
def test_every_package_is_pinned_with_a_hash(lock):
    found = entries(lock)
    assert found, lock
    for name, (version, hashes) in found.items():
        assert hashes, f"{lock}: {name}=={version} has no --hash"
        assert all(re.fullmatch(r"[0-9a-f]{64}", h) for h in hashes), f"{lock}: {name}: a malformed hash"


@pytest.mark.parametrize(("source", "lock"), [("requirements.in", "requirements.txt"),
                                              ("requirements-dev.in", "requirements-dev.txt"),
                                              ("requirements-tools.in", "requirements-tools.txt")])
def test_each_lock_holds_what_its_source_names(source, lock):
    pins = entries(lock)
    for name, version in direct(source).items():
        assert name in pins, f"{lock} lacks {name} (run `make lock`)"
        assert pins[name][0] == version, f"{lock} has {name}=={pins[name][0]}, {source} says {version} (run `make lock`)"


def test_the_tests_install_the_same_versions_as_production():
    runtime, dev = entries("requirements.txt"), entries("requirements-dev.txt")
    assert set(runtime) <= set(dev)
    assert {n: v for n, (v, _) in runtime.items()} == {n: dev[n][0] for n in runtime}
    assert direct("requirements.in").keys() <= set(runtime)


def test_no_lock_names_a_local_index():
    """The locks say what to install, not where from (this machine's mirror is its own business)."""
    for lock in LOCKS:
        text = (ROOT / lock).read_text(encoding="utf-8")
        assert "--index-url" not in text and "--find-links" not in text and "file://" not in text
