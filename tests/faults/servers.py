"""Private servers for the fault tests, each on a free loopback port in a temporary folder: a
PostgreSQL cluster (initdb + pg_ctl), a Redis without persistence, an SMTP sink, and the app under
gunicorn with its outbox worker. The shared PostgreSQL (5432) and Redis (6379) are never touched:
these are the servers the tests stop, kill and restart."""
from __future__ import annotations

import asyncio
import glob
import http.client
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from email import message_from_bytes
from email.header import decode_header, make_header
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex(("127.0.0.1", port)) == 0


def wait_for(check, timeout: float, what: str, step: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(step)
    raise AssertionError(f"{what}: not within {timeout:g} s")


# --- PostgreSQL -----------------------------------------------------------------------------------

def _pg_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if not found:
        pytest.skip("no PostgreSQL server binaries (/usr/lib/postgresql/*/bin/initdb): "
                    "apt-get install postgresql to run the fault tests")
    return Path(found[-1]).parent


class PrivatePostgres:
    """A throw-away cluster (trust authentication, loopback only). initdb refuses to run as root,
    so as root the cluster belongs to the ``postgres`` system user and its commands run through
    ``runuser``; a normal user runs them directly."""

    def __init__(self):
        self.bin = _pg_bin()
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="faults-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.prefix: list[str] = []
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                shutil.rmtree(self.root)
                pytest.skip("running as root and there is no 'postgres' user for initdb (it refuses root)")
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
            self.prefix = ["runuser", "-u", "postgres", "--"]
        self._run("initdb", "-D", str(self.data), "-U", "faults", "--auth=trust", "-E", "UTF8",
                  "--locale=C", "--no-sync")
        with open(self.data / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write(f"port = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.root}'\n"
                       "max_connections = 60\nshared_buffers = 32MB\n")
        self.url = f"postgresql://faults@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str, timeout: float = 60) -> None:
        subprocess.run([*self.prefix, str(self.bin / tool), *args], check=True, capture_output=True,
                       timeout=timeout, cwd=self.root)

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "30", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop")

    def running(self) -> bool:
        return port_open(self.port)

    def close(self) -> None:
        if (self.data / "postmaster.pid").exists():
            try:
                self.stop("immediate")
            except subprocess.SubprocessError:
                pass
        shutil.rmtree(self.root, ignore_errors=True)


# --- Redis ----------------------------------------------------------------------------------------

class PrivateRedis:
    def __init__(self, directory: Path):
        if shutil.which("redis-server") is None:
            pytest.skip("no redis-server on this machine (apt-get install redis-server)")
        self.port, self.directory, self.proc = free_port(), directory, None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no", "--dir", str(self.directory)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: port_open(self.port), 10, "redis-server did not listen")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.proc = None


# --- SMTP sink ------------------------------------------------------------------------------------

class SmtpSink:
    """A minimal SMTP server (asyncio, in a thread of the test) that keeps every message it
    accepts; ``stop``/``start`` take it off and back on the same port."""

    def __init__(self):
        self.port = free_port()
        self.messages: list[dict] = []
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            self._server = loop.run_until_complete(asyncio.start_server(self._session, "127.0.0.1", self.port))
            ready.set()
            loop.run_forever()
            self._server.close()
            loop.run_until_complete(self._server.wait_closed())
            loop.close()

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        assert ready.wait(10), "SMTP sink did not start"

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._loop = None

    def received(self) -> list[dict]:
        with self._lock:
            return list(self.messages)

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async def reply(line: str) -> None:
            writer.write(line.encode() + b"\r\n")
            await writer.drain()

        recipients: list[str] = []
        try:
            await reply("220 faults-sink ESMTP")
            while True:
                line = (await reader.readline()).decode("utf-8", "replace").strip()
                if not line:
                    return
                verb = line.split(" ", 1)[0].upper()
                if verb in ("EHLO", "HELO"):
                    await reply("250-faults-sink\r\n250-8BITMIME\r\n250 SMTPUTF8" if verb == "EHLO" else "250 faults-sink")
                elif verb == "MAIL":
                    recipients = []
                    await reply("250 OK")
                elif verb == "RCPT":
                    recipients.append(line.split(":", 1)[1].strip().strip("<>").split(">")[0])
                    await reply("250 OK")
                elif verb == "DATA":
                    await reply("354 End data with <CR><LF>.<CR><LF>")
                    lines = []
                    while (chunk := await reader.readline()) not in (b".\r\n", b".\n", b""):
                        lines.append(chunk[1:] if chunk.startswith(b"..") else chunk)
                    mail = message_from_bytes(b"".join(lines))
                    with self._lock:
                        self.messages.append({"to": recipients, "subject": str(make_header(decode_header(mail["Subject"] or ""))),
                                              "message_id": mail["Message-ID"]})
                    await reply("250 OK queued")
                elif verb == "QUIT":
                    await reply("221 Bye")
                    return
                else:  # RSET, NOOP and anything else
                    await reply("250 OK")
        finally:
            writer.close()


# --- the app --------------------------------------------------------------------------------------

class Stack:
    """The app (gunicorn, ``workers`` sync workers) and its outbox worker (``flask worker``) on
    the private servers, with the environment a deployment would set."""

    def __init__(self, directory: Path, database_url: str, *, redis_url: str = "", smtp_port: int = 0,
                 workers: int = 2, extra: dict[str, str] | None = None):
        self.directory, self.workers = directory, workers
        self.port = free_port()
        self.env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url,
                    "SECRET_KEY": "faults-test-only-not-a-secret-0123456789", "INSTANCE_PATH": str(directory),
                    "MUNICIPALITY": "kakogawa", "TRUSTED_PROXY_COUNT": "1", "RULES_RELOAD_SECONDS": "0",
                    "USAGE_FLUSH_SECONDS": "0", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_port or free_port()),
                    "SMTP_TIMEOUT": "3", "PUBLIC_BASE_URL": f"http://127.0.0.1:{self.port}",
                    "PYTHONPATH": str(ROOT), **(extra or {})}
        for name in ("TEST_DATABASE_URL", "PROMETHEUS_MULTIPROC_DIR", "ENV", "FORCE_HTTPS"):
            self.env.pop(name, None)
        if not redis_url:
            self.env.pop("REDIS_URL")
        self.web: subprocess.Popen | None = None
        self.mailer: subprocess.Popen | None = None
        self._logs: list = []

    def flask(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run([str(BIN / "flask"), "--app", "app", *args], cwd=ROOT, env=self.env,
                              capture_output=True, text=True, timeout=timeout)

    def upgrade(self) -> None:
        done = self.flask("db", "upgrade")
        assert done.returncode == 0, done.stderr[-3000:]

    def _log(self, name: str):
        handle = open(self.directory / name, "wb")  # closed in stop()
        self._logs.append(handle)
        return handle

    def start_web(self) -> None:
        self.web = subprocess.Popen([str(BIN / "gunicorn"), "--workers", str(self.workers), "--worker-class", "sync",
                                     "--bind", f"127.0.0.1:{self.port}", "--timeout", "60", "--graceful-timeout", "5",
                                     "app:create_app()"], cwd=ROOT, env=self.env,
                                    stdout=self._log("gunicorn.log"), stderr=subprocess.STDOUT)
        try:  # two workers importing the app take seconds; many more on a machine shared with other work
            wait_for(lambda: self.web.poll() is None and get(self.port, "/healthz")[0] == 200, 120,
                     "gunicorn did not answer", step=0.3)
        except AssertionError as exc:
            raise AssertionError(f"{exc}: {self.log_tail('gunicorn.log')}") from None
        for _ in range(self.workers * 3):  # every worker has loaded the pack and rules before the load
            get(self.port, "/api/v1/reservations/services")

    def start_mailer(self, interval: float = 0.5) -> None:
        self.mailer = subprocess.Popen([str(BIN / "flask"), "--app", "app", "worker", "--interval", str(interval)],
                                       cwd=ROOT, env=self.env, stdout=self._log("worker.log"), stderr=subprocess.STDOUT)

    def worker_pids(self) -> list[int]:
        """gunicorn's worker processes (the children of its master)."""
        children = Path(f"/proc/{self.web.pid}/task/{self.web.pid}/children").read_text().split()
        return [int(pid) for pid in children]

    def log_tail(self, name: str, size: int = 3000) -> str:
        path = self.directory / name
        return path.read_text(errors="replace")[-size:] if path.exists() else ""

    def stop(self) -> None:
        for proc in (self.mailer, self.web):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(5)
        for handle in self._logs:
            handle.close()


def get(port: int, path: str, timeout: float = 10) -> tuple[int, bytes]:
    """(status, body) of a GET; (0, b"") when the server could not be reached."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    except OSError:
        return 0, b""
    finally:
        conn.close()


def post(port: int, path: str, body: bytes, headers: dict[str, str], timeout: float = 10) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()
