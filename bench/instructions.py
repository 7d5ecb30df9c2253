"""Instructions (not time) per never-seen result page, per never-seen evaluate request and per
bare request, in process: the machine is shared and noisy, an instruction count is not. Run
under callgrind:

    CALLGRIND=1 valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=/tmp/cg.%p \\
        .venv/bin/python -m bench.instructions [pages] [bares] [evaluates] [--warm=N]

The start and the warm-up run uninstrumented (fast); the script then turns instrumentation on
and asks callgrind for a dump after the bare requests (file .1), after the pages (.2) and after
the evaluate requests (.3; other requests than the pages', so no memo of a page serves them), with
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
    eval_n = int(args[2]) if len(args) > 2 else pages_n
    # --warm=N: the requests before the measured ones (100: the measured pages are households
    # not seen before; 400: households the warm-up saw on other days, as in bench/guide.py,
    # whose 40,000 requests cycle through every scenario)
    warm = next((int(a.split("=", 1)[1]) for a in sys.argv[1:] if a.startswith("--warm=")), WARM)
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
    import json

    from bench.guide import EVALUATE_PATH
    bodies = never_seen(request_bodies(), warm + pages_n + eval_n)
    paths = result_paths(bodies[:warm + pages_n])
    posts = [json.dumps(b, ensure_ascii=False).encode() for b in bodies[:warm] + bodies[warm + pages_n:]]
    client = app.test_client()
    for p in paths[:warm]:
        assert client.get(p).status_code == 200, p
    for b in posts[:warm]:
        assert client.post(EVALUATE_PATH, data=b, content_type="application/json").status_code == 200
    for _ in range(20):
        client.get("/healthz")
    # what a worker loads once in its life, on the first request that needs it: each language's
    # catalog for the words of plain-Python code (core.words; an overdue warning in English
    # first loaded it inside the measured evaluate requests, about 10% of their count)
    from core.languages import BY_CODE
    from core.words import catalog
    for code in BY_CODE:
        catalog(code)
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
    for p in paths[warm:]:
        r = client.get(p)
        assert r.status_code == 200, p
    t2 = time.process_time()
    mark("-d")
    for b in posts[warm:]:
        r = client.post(EVALUATE_PATH, data=b, content_type="application/json")
        assert r.status_code == 200, b
    t3 = time.process_time()
    mark("-d")
    bare, page, ev = (t1 - t0) / bare_n, (t2 - t1) / pages_n, (t3 - t2) / eval_n
    print(f"bare {bare * 1e3:.3f} ms, page {page * 1e3:.3f} ms, evaluate {ev * 1e3:.3f} ms, "
          f"ratios {page / bare:.2f} / {ev / bare:.2f} (pid {os.getpid()})")


if __name__ == "__main__":
    main()
