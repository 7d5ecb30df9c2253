"""HTTP hardening and network rules: request ids, the client's address behind a trusted proxy,
network allow-lists, security headers with CSP nonces, HTTPS, CSRF, rate limits, JSON logs."""
from __future__ import annotations

import functools
import ipaddress
import logging
import re
import secrets
import sys
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import redis
from flask import Flask, current_app, g, redirect, request
from flask_limiter import Limiter
from flask_limiter.util import get_qualified_name
from flask_wtf.csrf import CSRFProtect
from pythonjsonlogger.json import JsonFormatter
from werkzeug.middleware.proxy_fix import ProxyFix

from core.city import homepage_origin
from core.input_guard import init_input_guard

log = logging.getLogger("access")
csrf = CSRFProtect()
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def client_ip() -> str:
    """The client's address (ProxyFix has already applied TRUSTED_PROXY_COUNT)."""
    return request.remote_addr or ""


def in_networks(ip: str, networks: str) -> bool:
    """Is ``ip`` inside one of the comma-separated CIDR ``networks``?"""
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(addr in ipaddress.ip_network(n.strip(), strict=False) for n in networks.split(",") if n.strip())


def masked_ip(ip: str) -> str:
    """For access logs: the network, not the person (last IPv4 octet / last 80 IPv6 bits zeroed)."""
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return ""
    prefix = 24 if addr.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False).network_address)


def _limit_key() -> str:
    return client_ip()


class _AppLimiter(Limiter):
    """One app's Flask-Limiter: its own storage, its own "Redis is down, count in memory" state and
    the declared limits bound to it (``views``: each limited function as this limiter wraps it)."""

    def __init__(self, app: Flask) -> None:
        super().__init__(key_func=_limit_key, default_limits=[], headers_enabled=True)
        self.views: dict[str, Callable[..., Any]] = {}
        self.bound = 0  # how many of the declarations are bound to this limiter
        self.init_app(app)


class RateLimits:
    """The rate limits the views declare (``@limiter.limit(...)``, ``limiter.shared_limit(...)``),
    counted by each app in a limiter of its own (``init_app``: ``app.extensions["rate_limiter"]``).
    The declarations are kept here, not in one Flask-Limiter: a module-level limiter would be
    rebound by every ``create_app``, so one app (a test's, with a Redis that is down) could change
    the storage of every other app in the process."""

    def __init__(self) -> None:
        self._declared: list[tuple[str, tuple, dict, Callable[..., Any]]] = []
        self._lock = threading.Lock()

    def limit(self, *args: Any, **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return self._declare("limit", args, kwargs)

    def shared_limit(self, *args: Any, **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return self._declare("shared_limit", args, kwargs)

    def _declare(self, kind: str, args: tuple, kwargs: dict) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
            self._declared.append((kind, args, kwargs, view))
            if hasattr(view, "limited_as"):  # stacked: the innermost wrapper checks every limit of the view
                return view
            name = get_qualified_name(view)

            @functools.wraps(view)
            def limited(*a: Any, **k: Any) -> Any:
                own = self.for_app()
                checked = own.views.get(name) or self._bind(own).views[name]
                return checked(*a, **k)

            limited.limited_as = name  # type: ignore[attr-defined]
            return limited
        return decorate

    def _bind(self, own: _AppLimiter) -> _AppLimiter:
        """Bind the declarations this app's limiter has not seen yet (all at start; any declared later, when met)."""
        with self._lock:
            for kind, args, kwargs, view in self._declared[own.bound:]:
                checked = getattr(own, kind)(*args, **kwargs)(view)  # registered under the view's name
                own.views.setdefault(get_qualified_name(view), checked)  # the innermost: it checks them all
            own.bound = len(self._declared)
        return own

    def init_app(self, app: Flask) -> None:
        configure_limits(app)
        app.extensions["rate_limiter"] = self._bind(_AppLimiter(app))

    @staticmethod
    def for_app(app: Flask | None = None) -> _AppLimiter:
        """The app's own limiter (the current app's without one)."""
        return (app or current_app).extensions["rate_limiter"]

    def reset(self) -> None:
        """Empty the current app's counts."""
        self.for_app().reset()


limiter = RateLimits()
REDIS_TIMEOUTS = {"socket_connect_timeout": 1.0, "socket_timeout": 1.0}  # a lost Redis costs a second, not a hang
_redis_clients: dict[str, Any] = {}


def configure_limits(app: Flask) -> None:
    """Limits are shared by every worker through Redis when REDIS_URL is set. If Redis goes
    down, each process counts on its own (residents' pages and bookings keep working, limits
    still apply per process); the staff login refuses instead (``shared_limits_available``),
    because per-process counts would multiply the password attempts an attacker gets."""
    if app.config.get("REDIS_URL"):
        app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"]
        app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", dict(REDIS_TIMEOUTS))
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)


def shared_limits_available() -> bool:
    """Can the limits be counted across workers right now? (Always, without REDIS_URL: one
    process counts everything.) One PING, on the staff login only."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return True
    client = _redis_clients.get(url)
    if client is None:
        client = _redis_clients[url] = redis.Redis.from_url(url, **REDIS_TIMEOUTS)
    try:
        return bool(client.ping())
    except (redis.RedisError, OSError) as exc:
        log.warning("rate-limit storage: Redis unreachable", extra={"error": type(exc).__name__})
        return False


def csp_header(nonce: str, frame_ancestors: str) -> str:
    return "; ".join([
        "default-src 'self'",
        f"script-src 'self' 'nonce-{nonce}'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        f"frame-ancestors {frame_ancestors}",
    ])


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else None


def cross_site_post() -> bool:
    """A form post that another site's page may have made: the defence against forgery for the
    anonymous forms that carry no session token (the result page's feedback, so that the result
    page sets no cookie). The browser says where the post came from: ``Sec-Fetch-Site`` where it
    sends one, else ``Origin`` (or ``Referer``), which must be this site, as the request reached
    it or as ``PUBLIC_BASE_URL`` names it. A post with neither header is refused too (OWASP's
    "verifying origin with standard headers")."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site != "same-origin"
    origin = request.headers.get("Origin") or request.headers.get("Referer")
    if not origin or origin == "null":
        return True
    ours = {_origin(request.host_url), _origin(current_app.config.get("PUBLIC_BASE_URL") or "")}
    return _origin(origin) not in ours - {None}


def _is_embeddable(path: str) -> bool:
    """Only the guide and the widgets (/embed/…) may be framed by the city's homepage; nothing else."""
    return path.startswith(("/guide", "/embed/"))


def _configure_logging(app: Flask) -> None:
    """JSON lines on stdout with the request id; never passwords, tokens or personal data."""
    if app.config.get("TESTING") or getattr(_configure_logging, "done", False):
        return

    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)  # added, never replacing handlers others rely on
    root.setLevel(logging.INFO)
    _configure_logging.done = True  # type: ignore[attr-defined]


def init_security(app: Flask) -> None:
    if app.config["TRUSTED_PROXY_COUNT"] > 0:
        n = app.config["TRUSTED_PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n)  # type: ignore[method-assign]
    if app.config["FORCE_HTTPS"]:
        app.config.update(SESSION_COOKIE_SECURE=True, PREFERRED_URL_SCHEME="https")
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", 3600 * 12)
    # the first hooks of every request: its id and nonce, then hostile input refused (before CSRF
    # or any view reads a field)
    @app.before_request
    def _start() -> object | None:
        g.started = time.perf_counter()
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        g.csp_nonce = secrets.token_urlsafe(16)
        if app.config["FORCE_HTTPS"] and not request.is_secure:
            return redirect(request.url.replace("http://", "https://", 1), code=301)
        return None

    init_input_guard(app)
    csrf.init_app(app)
    limiter.init_app(app)
    _configure_logging(app)

    @app.context_processor
    def _nonce() -> dict[str, str]:
        return {"csp_nonce": getattr(g, "csp_nonce", "")}

    @app.after_request
    def _headers(response):
        nonce = getattr(g, "csp_nonce", secrets.token_urlsafe(16))
        if _is_embeddable(request.path):
            ancestors = " ".join(["'self'"] + (app.config["EMBED_ALLOWED_ORIGINS"] or homepage_origin()).split(","))
        elif getattr(g, "framed_by_self", False):  # a page of this site shown in a frame of another (a preview)
            ancestors = "'self'"
            response.headers["X-Frame-Options"] = "SAMEORIGIN"
        else:
            ancestors = "'none'"
            response.headers["X-Frame-Options"] = "DENY"
        response.headers.setdefault("Content-Security-Policy", csp_header(nonce, ancestors.strip()))
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
        response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        response.headers["X-Request-ID"] = getattr(g, "request_id", "")
        if request.is_secure or app.config["FORCE_HTTPS"]:
            response.headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
        if request.path.startswith(PRIVATE_PREFIXES):
            response.headers["Cache-Control"] = "no-store"  # pages with personal data
        response.headers.pop("Server", None)
        _access_log(response)
        return response


PRIVATE_PREFIXES = ("/staff", "/apply/", "/reserve/booking/", "/reserve/manage/", "/reserve/visit/", "/pay/",
                    "/api/v1/applications/", "/api/v1/reservations/manage", "/api/v1/backoffice")


def log_fields(**fields: str) -> None:
    """Fields for this request's access-log line (one JSON line per request, not one more)."""
    g.log_fields = {**getattr(g, "log_fields", {}), **fields}


def _access_log(response) -> None:
    started = getattr(g, "started", None)
    log.info("request", extra={
        "request_id": getattr(g, "request_id", ""),
        "method": request.method,
        # never the query string (it can carry answers), and for routes with arguments the route
        # pattern, not the path: ids and secret links (status, resume, manage tokens) stay out of logs
        "path": request.url_rule.rule if request.url_rule is not None and request.view_args else request.path,
        "endpoint": request.endpoint or "",
        "status": response.status_code,
        "ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
        "client": masked_ip(client_ip()),
        **getattr(g, "log_fields", {}),  # a view's own fields (log_fields), on the same one line
    })
