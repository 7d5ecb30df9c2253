"""Instructions (not time) per never-seen result page and per bare request, in process: the
machine is shared and noisy, an instruction count is not. Run under callgrind:

    valgrind --tool=callgrind --dump-before=getsid --callgrind-out-file=/tmp/cg.%p \\
        .venv/bin/python -m bench.instructions [pages] [bares]

The script calls libc's ``getsid`` (nothing else here does) after the warm-up, after the bare
requests and after the pages, so callgrind writes three dumps: .1 is the warm-up and start, .2
the bare requests, .3 the pages (``callgrind_annotate`` prints each total). Without valgrind it
prints the time per request instead (a quick check)."""
from __future__ import annotations

import ctypes
import logging
import os
import sys
import tempfile
import time

from bench.guide import never_seen, request_bodies, result_paths

WARM = 100


def main() -> None:
    pages_n = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    bare_n = int(sys.argv[2]) if len(sys.argv) > 2 else 200
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
    mark = ctypes.CDLL(None).getsid
    mark(0)
    t0 = time.process_time()
    for _ in range(bare_n):
        client.get("/healthz")
    t1 = time.process_time()
    mark(0)
    for p in paths[WARM:]:
        r = client.get(p)
        assert r.status_code == 200, p
    t2 = time.process_time()
    mark(0)
    bare, page = (t1 - t0) / bare_n, (t2 - t1) / pages_n
    print(f"bare {bare * 1e3:.3f} ms, page {page * 1e3:.3f} ms, ratio {page / bare:.2f} (pid {os.getpid()})")


if __name__ == "__main__":
    main()
