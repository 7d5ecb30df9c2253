"""YAML parsed with libyaml where PyYAML was built with it (the wheels on PyPI are): the same data,
marks and errors' lines as PyYAML's pure-Python parser, about five times faster. Reading the pack,
its translations, scenarios and the vocabulary was most of an app's start (~1.5 of ~2.2 s)."""
from __future__ import annotations

from typing import Any

import yaml

SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    """``yaml.safe_load`` through the faster parser."""
    return yaml.load(text, Loader=SafeLoader)  # noqa: S506 - a safe loader (CSafeLoader or SafeLoader)
