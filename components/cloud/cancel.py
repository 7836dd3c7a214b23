"""The one cancellation: once the engine sends Cancel (the first Ctrl-C), every wait stops and every operation fails.

The poller's waits and the retry policy's backoff sleeps both wait through a Cancellation, so one switch stops them
all within moments; an operation that starts after it is thrown fails before its first API call.
"""

import threading


class Cancelled(Exception):
    """The engine cancelled the update; translated into a CvmImageError that says what was left."""


class Cancellation:
    """A one-way switch. Waits made through it wake as soon as it is thrown, and then raise Cancelled."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cancelled = False
        self._waiting: set[threading.Event] = set()

    def cancel(self) -> None:
        with self._lock:
            self._cancelled = True
            waiting, self._waiting = self._waiting, set()
        for event in waiting:
            event.set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def check(self) -> None:
        if self._cancelled:
            raise Cancelled()

    def wait(self, event: threading.Event, timeout: float) -> bool:
        """`event.wait(timeout)`, cut short by cancellation, which sets `event` and raises Cancelled."""
        with self._lock:
            self.check()
            self._waiting.add(event)
        try:
            finished = event.wait(timeout)
        finally:
            with self._lock:
                self._waiting.discard(event)
        self.check()
        return finished

    def sleep(self, seconds: float) -> None:
        self.wait(threading.Event(), seconds)


# This process's: components.host throws it when the engine sends Cancel. Tests may give their own to a poller.
CANCELLATION = Cancellation()
