"""gunicorn settings read from the project root (make run, production): no version in the
Server header; access logs come from the app itself (JSON, without query strings)."""
import gunicorn.http.wsgi

gunicorn.http.wsgi.SERVER = "kakogawa-guide"  # the header names no software version
accesslog = None
forwarded_allow_ips = "127.0.0.1"  # the app's ProxyFix (TRUSTED_PROXY_COUNT) decides whom to believe


def child_exit(server, worker):
    """With PROMETHEUS_MULTIPROC_DIR set, a dead worker's metrics files are retired."""
    import os
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess
        multiprocess.mark_process_dead(worker.pid)
