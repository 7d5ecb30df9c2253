"""gunicorn settings read from the project root (make run, production): no version in the
Server header; access logs come from the app itself (JSON, without query strings)."""
import gunicorn.http.wsgi

gunicorn.http.wsgi.SERVER = "guide"  # the header names no software version
accesslog = None
forwarded_allow_ips = "127.0.0.1"  # the app's ProxyFix (TRUSTED_PROXY_COUNT) decides whom to believe


def child_exit(server, worker):
    """With PROMETHEUS_MULTIPROC_DIR set, a dead worker's metrics files are retired."""
    import os
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess
        multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker):
    """Before the worker serves: this year's and the neighbouring years' holidays are read (no
    request pays ~10 ms for a month jpholiday has not computed yet); then the app, its pack and
    compiled rules, all loaded now and living as long as the worker, are moved out of the cyclic
    garbage collector's sight (gc.freeze), so a collection during a request scans only young
    objects instead of the whole heap. Measured with bench/guide.py (docs/performance.md): a
    never-seen evaluate request cost a third less CPU."""
    import datetime as dt
    import gc

    from rules.calendar import warm_holidays
    year = dt.date.today().year
    warm_holidays(year - 1, year + 1)
    gc.collect()
    gc.freeze()
