"""The pure parts of bench/load.py (no servers, no network): the journey file, the rate that
"10× the peak hour" means, the open-loop schedule, and percentiles.

The rate is derived, not chosen::

    moves in the busiest hour = normal_day_moves × peak_day_factor × busiest_hours_share / busiest_hours
    requests per move         = Σ over journeys (per_move × requests in the journey)
    offered requests/s        = factor × moves in the busiest hour × requests per move / 3600
"""
from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

JOURNEYS_FILE = Path(__file__).with_name("load_journeys.yaml")
VERBS = ("get", "post", "sections")
PLACEHOLDER = re.compile(r"\{([a-z_0-9]+)\}")


class JourneyFileError(ValueError):
    """The journey file is not what bench/load.py can run."""


@dataclass(frozen=True)
class Step:
    verb: str  # get | post | sections
    path: str = ""
    data: Mapping[str, str] = field(default_factory=dict)
    capture: Mapping[str, str] = field(default_factory=dict)
    location: str = ""
    expect: tuple[int, ...] = (200,)
    when: str = ""
    sections: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        """page (a GET someone waits for) or submit (a POST that saves)."""
        return "page" if self.verb == "get" else "submit"

    def requests(self) -> int:
        """Requests this step makes: a section page is a GET and a POST each."""
        return 2 * len(self.sections) if self.verb == "sections" else 1


@dataclass(frozen=True)
class Journey:
    name: str
    steps: tuple[Step, ...]
    per_move: float
    counted: bool = True
    staff: bool = False
    pool: str = ""

    def requests(self) -> int:
        return sum(s.requests() for s in self.steps)


@dataclass(frozen=True)
class Peak:
    moves_per_year: int
    normal_day_moves: float
    peak_day_factor: float
    busiest_hours: int
    busiest_hours_share: float
    factor: float

    def peak_day_moves(self) -> float:
        return self.normal_day_moves * self.peak_day_factor

    def busiest_hour_moves(self) -> float:
        return self.peak_day_moves() * self.busiest_hours_share / self.busiest_hours


def _step(raw: Mapping[str, Any], where: str) -> Step:
    verbs = [v for v in VERBS if v in raw]
    if len(verbs) != 1:
        raise JourneyFileError(f"{where}: a step needs exactly one of {VERBS}, has {verbs or 'none'}")
    verb = verbs[0]
    unknown = set(raw) - {verb, "data", "capture", "location", "expect", "when"}
    if unknown:
        raise JourneyFileError(f"{where}: unknown key(s) {sorted(unknown)}")
    for name, pattern in (raw.get("capture") or {}).items():
        try:
            if re.compile(pattern).groups < 1:
                raise JourneyFileError(f"{where}: capture {name!r} has no group")
        except re.error as exc:
            raise JourneyFileError(f"{where}: capture {name!r} is not a regular expression: {exc}") from exc
    if verb == "sections":
        sections = raw["sections"]
        if not isinstance(sections, Mapping) or not sections:
            raise JourneyFileError(f"{where}: sections must map section ids to their inputs")
        return Step("sections", sections={str(k): {str(a): str(b) for a, b in (v or {}).items()}
                                          for k, v in sections.items()})
    path = str(raw[verb])
    if not path.startswith(("/", "{")):
        raise JourneyFileError(f"{where}: {path!r} is not a path on this site")
    expect = raw.get("expect", [200])
    return Step(verb, path=path, data={str(k): str(v) for k, v in (raw.get("data") or {}).items()},
                capture=dict(raw.get("capture") or {}), location=str(raw.get("location") or ""),
                expect=tuple(int(e) for e in expect), when=str(raw.get("when") or ""))


def parse(text: str) -> tuple[Peak, dict[str, Journey]]:
    """The peak figures and the journeys of a journey file (JourneyFileError when malformed)."""
    doc = yaml.safe_load(text) or {}
    try:
        peak = Peak(**doc["peak"])
    except (KeyError, TypeError) as exc:
        raise JourneyFileError(f"peak: {exc}") from exc
    journeys: dict[str, Journey] = {}
    for name, raw in (doc.get("journeys") or {}).items():
        steps = tuple(_step(s, f"{name} step {i + 1}") for i, s in enumerate(raw.get("steps") or []))
        if not steps:
            raise JourneyFileError(f"{name}: no steps")
        per_move = float(raw.get("per_move", 0))
        if per_move <= 0:
            raise JourneyFileError(f"{name}: per_move must be above 0")
        journeys[name] = Journey(name, steps, per_move, counted=bool(raw.get("counted", True)),
                                 staff=bool(raw.get("staff", False)), pool=str(raw.get("pool") or ""))
    if not journeys:
        raise JourneyFileError("no journeys")
    return peak, journeys


def load(path: Path = JOURNEYS_FILE) -> tuple[Peak, dict[str, Journey]]:
    return parse(path.read_text(encoding="utf-8"))


def requests_per_move(journeys: Mapping[str, Journey]) -> float:
    return sum(j.per_move * j.requests() for j in journeys.values() if j.counted)


def offered_rate(peak: Peak, journeys: Mapping[str, Journey], factor: float | None = None) -> float:
    """Requests/s at ``factor`` × the busiest hour (the peak's own factor by default)."""
    factor = peak.factor if factor is None else factor
    return factor * peak.busiest_hour_moves() * requests_per_move(journeys) / 3600


def derivation(peak: Peak, journeys: Mapping[str, Journey], factor: float | None = None) -> list[str]:
    """The derivation in words and numbers, one line each (for the report)."""
    factor = peak.factor if factor is None else factor
    lines = [f"busiest hour: {peak.normal_day_moves:g} moves/day × {peak.peak_day_factor:g} (early April) = "
             f"{peak.peak_day_moves():g} moves/day; {peak.busiest_hours_share:g} of them in the "
             f"{peak.busiest_hours} hours 11:00–14:00 → {peak.busiest_hour_moves():.1f} moves/hour"]
    for j in journeys.values():
        if j.counted:
            lines.append(f"  {j.name}: {j.per_move:g} per move × {j.requests()} requests = "
                         f"{j.per_move * j.requests():.2f} requests/move")
    per_move = requests_per_move(journeys)
    lines.append(f"requests per move: {per_move:.2f}")
    lines.append(f"{factor:g} × {peak.busiest_hour_moves():.1f} moves/hour × {per_move:.2f} requests / 3600 s = "
                 f"{offered_rate(peak, journeys, factor):.2f} requests/s")
    return lines


def journey_rates(peak: Peak, journeys: Mapping[str, Journey], factor: float | None = None) -> dict[str, float]:
    """Journeys started per second, each kind, at ``factor`` × the busiest hour (the bare endpoint,
    not counted in the derivation, at its own per_move like the others)."""
    factor = peak.factor if factor is None else factor
    moves_per_s = factor * peak.busiest_hour_moves() / 3600
    return {n: j.per_move * moves_per_s for n, j in journeys.items()}


def schedule(rates: Mapping[str, float], seconds: float) -> list[tuple[float, str]]:
    """Open-loop arrivals: each journey kind at fixed intervals (1/rate), offset by half an interval
    so kinds do not all start at 0; merged in time order. Deterministic: runs compare."""
    out: list[tuple[float, str]] = []
    for name, rate in rates.items():
        if rate <= 0:
            continue
        gap = 1 / rate
        t = gap / 2
        while t < seconds:
            out.append((t, name))
            t += gap
    return sorted(out)


def percentile(values: Iterable[float], p: float) -> float:
    """The p-th percentile (0–100) by linear interpolation between the closest ranks (NumPy's
    default); NaN for no values."""
    data = sorted(values)
    if not data:
        return math.nan
    if not 0 <= p <= 100:
        raise ValueError("p must be within 0..100")
    rank = (len(data) - 1) * p / 100
    low = math.floor(rank)
    high = min(low + 1, len(data) - 1)
    return data[low] + (data[high] - data[low]) * (rank - low)


def fill(template: str, values: Mapping[str, str]) -> str:
    """``{name}`` replaced from ``values`` (KeyError names the first missing one)."""
    return PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), template)


def summary(samples: Iterable[tuple[str, str, int, float, bool]], seconds: float) -> dict[str, dict[str, Any]]:
    """Per journey and kind (``journey/page``, ``journey/submit``): count, errors, requests/s and
    p50/p95/p99 in ms, from (journey, kind, status, seconds, ok) samples."""
    groups: dict[str, list[tuple[float, bool]]] = {}
    for journey, kind, _status, took, ok in samples:
        groups.setdefault(f"{journey}/{kind}", []).append((took, ok))
    out = {}
    for key, rows in sorted(groups.items()):
        times = [t * 1000 for t, _ok in rows]
        out[key] = {"count": len(rows), "errors": sum(1 for _t, ok in rows if not ok),
                    "rps": round(len(rows) / seconds, 2) if seconds > 0 else 0.0,
                    "p50": round(percentile(times, 50), 1), "p95": round(percentile(times, 95), 1),
                    "p99": round(percentile(times, 99), 1)}
    return out


GOALS_MS = {"page": 300, "submit": 1000, "audit_search/page": 2000}


def goal_ms(key: str) -> int | None:
    """The p95 goal of a ``journey/kind`` key; None for the bare endpoint (a reference, no goal)."""
    if key.startswith("bare/"):
        return None
    return GOALS_MS.get(key, GOALS_MS[key.rsplit("/", 1)[1]])
