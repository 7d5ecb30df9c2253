"""Two checkouts' result pages side by side: both served at once (gunicorn, 2 workers each, the
guide's cache off), wrk slices alternating between them, so both see the same load on a shared
machine; prints each tree's worker CPU per bare request and per never-seen result page.

    .venv/bin/python -m bench.ab_pages /path/to/before /path/to/after [seconds per slice] [rounds]

Each tree needs its own .venv (a symlink to this one will do) and compiled catalogs; wrk must be
installed."""
from __future__ import annotations

import os
import secrets
import statistics
import subprocess  # nosec B404 - starts gunicorn from a fixed argument list
import sys
import tempfile
from pathlib import Path

from bench.guide import (
    GET_REQUEST,
    WRK_LUA,
    _free_port,
    _wait,
    _workers_cpu,
    _wrk,
    never_seen,
    request_bodies,
    result_paths,
)

COUNT = 40000


def _serve(tree: str) -> tuple[str, int, subprocess.Popen]:
    port = _free_port()
    data = Path(tempfile.mkdtemp())
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{data / 'bench.db'}", SECRET_KEY=secrets.token_hex(16),
               INSTANCE_PATH=str(data), GUIDE_CACHE_SIZE="0", RULES_RELOAD_SECONDS="0")
    proc = subprocess.Popen(  # nosec B603 - fixed arguments
        [f"{tree}/.venv/bin/python", "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning", "app:create_app()"], cwd=tree, env=env, stdout=subprocess.DEVNULL)
    return tree, port, proc


def main() -> None:
    trees = sys.argv[1:3]
    secs = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 6
    tmp = Path(tempfile.mkdtemp())
    (tmp / "pages.txt").write_text("\n".join(result_paths(never_seen(request_bodies(), COUNT))) + "\n", encoding="utf-8")
    servers = [_serve(t) for t in trees]
    results: dict[str, dict[str, list[tuple[float, float]]]] = {t: {"bare": [], "page": []} for t in trees}
    start = 0

    def one_slice(port: int, proc: subprocess.Popen, kind: str) -> tuple[float, float]:
        nonlocal start
        base = f"http://127.0.0.1:{port}"
        cpu = _workers_cpu(proc.pid)
        if kind == "bare":
            out = _wrk(base + "/healthz", secs, None)
        else:
            script = tmp / f"page{port}.lua"
            script.write_text(WRK_LUA % {"file": tmp / "pages.txt", "start": start % COUNT, "request": GET_REQUEST},
                              encoding="utf-8")
            out = _wrk(base + "/", secs, str(script))
            start += out["requests"]
        return 1000 * (_workers_cpu(proc.pid) - cpu) / max(out["requests"], 1), out["rps"]

    try:
        for _, port, proc in servers:
            _wait(port)
            one_slice(port, proc, "bare")  # warm-up
            one_slice(port, proc, "page")
        for r in range(rounds):
            for tree, port, proc in (servers if r % 2 == 0 else servers[::-1]):
                results[tree]["bare"].append(one_slice(port, proc, "bare"))
                results[tree]["page"].append(one_slice(port, proc, "page"))
    finally:
        for _, _, proc in servers:
            proc.terminate()
            proc.wait(10)
    for tree in trees:
        bare, page = results[tree]["bare"], results[tree]["page"]
        pairs = list(zip(page, bare, strict=True))
        print(tree, "bare cpu ms", round(statistics.median(b[0] for b in bare), 3),
              "page cpu ms", round(statistics.median(p[0] for p in page), 3),
              "cpu ratio", round(statistics.median(p[0] / b[0] for p, b in pairs), 2),
              "req/s ratio", round(statistics.median(b[1] / p[1] for p, b in pairs), 2))


if __name__ == "__main__":
    main()
