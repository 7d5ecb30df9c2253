"""Instructions (not time) per never-seen result page and per bare request, in process: the
machine is shared and noisy, an instruction count is not. Run under callgrind:

    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=/tmp/cg.%p \\
        .venv/bin/python -m bench.instructions [pages] [bares]

The start and the warm-up run uninstrumented (fast); the script then turns instrumentation on
and asks callgrind for a dump after the bare requests (file .1) and after the pages (.2), with
``callgrind_control`` (it sleeps while that runs, so the wait adds next to nothing);
``grep summary`` of each file gives its instructions. Without valgrind the dumps are skipped
and it prints the time per request instead (a quick check)."""
from __future__ import annotations

import logging
import os
import subprocess  # nosec B404 - callgrind_control, fixed arguments
import sys
import tempfile
import time

from bench.guide import never_seen, request_bodies, result_paths

WARM = 100


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    pages_n = int(args[0]) if args else 50
    bare_n = int(args[1]) if len(args) > 1 else 200
    from app import create_app

    tmp = tempfile.mkdtemp()
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp}/i.db", "INSTANCE_PATH": tmp, "SECRET_KEY": "x" * 32,
                      "GUIDE_CACHE_SIZE": 0, "RULES_RELOAD_SECONDS": 0})
    logging.getLogger("access").disabled = True
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()  # the tables a result page writes its usage counts and samples to
    # as gunicorn.conf.py does before a worker serves: the loaded app out of the collector's sight
    import datetime as dt
    import gc

    from rules.calendar import warm_holidays
    warm_holidays(dt.date.today().year - 1, dt.date.today().year + 1)
    gc.collect()
    gc.freeze()
    paths = result_paths(never_seen(request_bodies(), WARM + pages_n))
    client = app.test_client()
    for p in paths[:WARM]:
        assert client.get(p).status_code == 200, p
    for _ in range(20):
        client.get("/healthz")
    under_valgrind = "--callgrind" in sys.argv or bool(os.environ.get("CALLGRIND"))

    def mark(*command: str) -> None:
        if not under_valgrind:
            return
        done = subprocess.Popen(["callgrind_control", *command, str(os.getpid())],  # nosec
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while done.poll() is None:
            time.sleep(0.005)

    mark("-i", "on")
    t0 = time.process_time()
    for _ in range(bare_n):
        client.get("/healthz")
    t1 = time.process_time()
    mark("-d")
    for p in paths[WARM:]:
        r = client.get(p)
        assert r.status_code == 200, p
    t2 = time.process_time()
    mark("-d")
    bare, page = (t1 - t0) / bare_n, (t2 - t1) / pages_n
    print(f"bare {bare * 1e3:.3f} ms, page {page * 1e3:.3f} ms, ratio {page / bare:.2f} (pid {os.getpid()})")


if __name__ == "__main__":
    main()
