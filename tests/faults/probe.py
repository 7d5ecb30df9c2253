"""A readiness probe like a load balancer's: GET /readyz every ``every`` seconds with a short
timeout, each answer kept with its time (0: no answer within the timeout)."""
from __future__ import annotations

import threading
import time

from tests.faults.servers import get


class ReadyProbe:
    def __init__(self, port: int, every: float = 0.25, timeout: float = 2.0):
        self.port, self.every, self.timeout = port, every, timeout
        self.seen: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        while not self._stop.is_set():
            sent = time.monotonic()
            status, _ = get(self.port, "/readyz", timeout=self.timeout)
            self.seen.append((sent, status))
            self._stop.wait(self.every)

    def first(self, status: int, after: float) -> float | None:
        """When (monotonic) the first probe sent after ``after`` got ``status``."""
        return next((t for t, s in self.seen if t >= after and s == status), None)
