"""The bookings a browser holds, for the resident's pages of a single booking (reservations/views.py)
and of a whole visit (reservations/visit_views.py): their numbers in the Flask session (numbers only,
nothing personal; the newest ``most``), and the two ways a page finds its booking — one this browser
started (``own``), or one behind the signed link of the e-mail (``managed``). Both answer 404 for
anything else, with no hint that the number exists."""
from __future__ import annotations

from collections.abc import Callable
from typing import Generic, Protocol, TypeVar

from flask import abort, session

from reservations import models as m

MAX_TOKEN = 200  # a signed manage link's token is far shorter: anything longer is not ours


class _Booked(Protocol):
    status: str


B = TypeVar("B", bound=_Booked)


class BrowserBookings(Generic[B]):
    def __init__(self, key: str, most: int, by_number: Callable[[str], B | None],
                 read_token: Callable[[str], str | None]):
        self.key = key  # the session key
        self._most = most
        self._by_number = by_number
        self._read_token = read_token

    def numbers(self) -> list[str]:
        """The numbers this browser started, oldest first."""
        return list(session.get(self.key, []))

    def remember(self, number: str) -> None:
        numbers = [n for n in self.numbers() if n != number]
        session[self.key] = (numbers + [number])[-self._most:]

    def own(self, number: str) -> B:
        """A booking this browser started (404 otherwise)."""
        found = self._by_number(number) if number in self.numbers() else None
        if found is None:
            abort(404)
        return found

    def managed(self, token: str) -> B:
        """The booking behind a manage link (404 for a link not signed by us, and for a booking
        still held or expired: only a confirmed one was ever sent a link)."""
        number = self._read_token(token) if len(token) < MAX_TOKEN else None
        found = self._by_number(number) if isinstance(number, str) else None
        if found is None or found.status in (m.HELD, m.EXPIRED):
            abort(404)
        return found
