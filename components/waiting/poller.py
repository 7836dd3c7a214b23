"""The one poller: every image (and instance) this process waits for is polled together, at an interval that grows
with waiting time.

All dynamic resources of a Pulumi program share one provider process, so sixteen images baking at once cost one
DescribeImages call per poll instead of sixteen; instances being stopped for their images share one
DescribeInstances call the same way.
"""

import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ..cloud.cancel import CANCELLATION, Cancellation, Cancelled
from ..cloud.client import CvmApi, Image
from ..cloud.retry import Deadline

Settled = Callable[[Image | None], bool]
# Where a progress line goes: (URN of the resource it is about, or None; the line). The engine adapter gives one that
# reaches the resource's row of `pulumi up`.
Reporter = Callable[[str | None, str], None]

POLL_REQUEST_DEADLINE_SECONDS = 120.0
BATCH_WINDOW = 0.1
PROGRESS_EVERY_SECONDS = 30.0


@dataclass(frozen=True)
class PollSchedule:
    """Poll again after `elapsed * growth`, kept between `floor` and `cap` seconds: prompt for short builds, cheap for long."""

    floor: float = 0.75
    growth: float = 0.1
    cap: float = 20.0

    def interval(self, elapsed: float) -> float:
        return min(self.cap, max(self.floor, elapsed * self.growth))


def to_stderr(_urn: str | None, message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class WaitEnded(Exception):
    """The wait ended before its resource settled; `last` is the resource as last seen (None: not seen)."""

    def __init__(self, resource_id: str, last: Image | None) -> None:
        super().__init__(resource_id)
        self.resource_id = resource_id
        self.last = last


class WaitTimeout(WaitEnded):
    """The operation's deadline came first."""


class WaitCancelled(WaitEnded):
    """The engine cancelled the update."""


IMAGE = "image"
INSTANCE = "instance"
STATE_FIELD = {IMAGE: "ImageState", INSTANCE: "InstanceState"}


@dataclass(eq=False)
class _Waiter:
    resource_id: str  # an image's id, or an instance's when kind is INSTANCE
    urn: str | None
    settled: Settled
    started: float
    next_due: float
    done: threading.Event = field(default_factory=threading.Event)
    last: Image | None = None
    error: BaseException | None = None
    last_report: float = 0.0
    reported_state: str | None = None
    kind: str = IMAGE


class ImagePoller:
    """Blocks callers until their image settles; one background thread does all the DescribeImages calls."""

    def __init__(
        self,
        api: CvmApi,
        schedule: PollSchedule = PollSchedule(),
        report: Reporter = to_stderr,
        cancellation: Cancellation = CANCELLATION,
    ) -> None:
        self._api = api
        self._schedule = schedule
        self._report = report
        self._cancellation = cancellation
        self._waiters: set[_Waiter] = set()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    def wait(self, image_id: str, settled: Settled, deadline: Deadline, urn: str | None = None) -> Image | None:
        """The image once `settled(image)` holds (None when it no longer exists).

        WaitTimeout at the deadline, WaitCancelled as soon as the engine cancels. Progress is reported against `urn`,
        the resource whose operation waits.
        """
        return self._wait(IMAGE, image_id, settled, deadline, urn)

    def wait_instance(self, instance_id: str, settled: Settled, deadline: Deadline, urn: str | None = None) -> Image | None:
        """The instance (DescribeInstances' item) once `settled(instance)` holds; like `wait` in every other way."""
        return self._wait(INSTANCE, instance_id, settled, deadline, urn)

    def _wait(self, kind: str, resource_id: str, settled: Settled, deadline: Deadline, urn: str | None) -> Image | None:
        now = time.monotonic()
        waiter = _Waiter(
            resource_id, urn, settled, started=now, next_due=now + self._schedule.interval(0), last_report=now, kind=kind
        )
        with self._wake:
            self._waiters.add(waiter)
            self._ensure_thread()
            self._wake.notify()
        try:
            finished = self._cancellation.wait(waiter.done, deadline.remaining())
        except Cancelled:
            raise WaitCancelled(resource_id, waiter.last) from None
        finally:
            with self._wake:
                self._waiters.discard(waiter)
        if waiter.error is not None:
            raise waiter.error
        if not finished:
            raise WaitTimeout(resource_id, waiter.last)
        return waiter.last

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="cvm-image-poller", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            batch = self._next_batch()
            self._poll(batch)

    def _next_batch(self) -> list[_Waiter]:
        """Sleep until some waiter is due, then hand back every waiter: polling them all costs no extra call.

        Waiters due within BATCH_WINDOW of the first are waited for too, so images started a few milliseconds
        apart (one `pulumi up` creating many) are seen in the same poll rather than one interval later.
        """
        with self._wake:
            while True:
                pending = [w for w in self._waiters if not w.done.is_set()]
                if pending:
                    first = min(w.next_due for w in pending)
                    gather_until = max(w.next_due for w in pending if w.next_due <= first + BATCH_WINDOW)
                    delay = gather_until - time.monotonic()
                    if delay <= 0:
                        return pending
                self._wake.wait(delay if pending else None)

    def _poll(self, batch: list[_Waiter]) -> None:
        describe = {IMAGE: self._api.describe_images, INSTANCE: self._api.describe_instances}
        for kind in (IMAGE, INSTANCE):
            waiters = [w for w in batch if w.kind == kind]
            if not waiters:
                continue
            ids = sorted({w.resource_id for w in waiters})
            try:
                found = describe[kind](ids, Deadline.after(POLL_REQUEST_DEADLINE_SECONDS))
            except Exception as exc:  # noqa: BLE001 - handed to every waiter, which raises it in its own operation
                for waiter in waiters:
                    waiter.error = exc
                    waiter.done.set()
                continue
            now = time.monotonic()
            for waiter in waiters:
                self._advance(waiter, found.get(waiter.resource_id), now)

    def _advance(self, waiter: _Waiter, image: Image | None, now: float) -> None:
        waiter.last = image
        self._report_progress(waiter, now)
        if waiter.settled(image):
            waiter.done.set()
            return
        if waiter.next_due <= now:  # polled on its own schedule, not just alongside others: advance it
            # Anchored to the waiter's own timeline, so waiters keep the small offsets the window gathers.
            waiter.next_due = max(now, waiter.next_due + self._schedule.interval(waiter.next_due - waiter.started))

    def _report_progress(self, waiter: _Waiter, now: float) -> None:
        """A sign of life while an image bakes, on each state change and at most every 30 s otherwise.

        Only the id, state and time: the resource's row already names it, and its inputs may hold secrets.
        """
        if waiter.last is None and waiter.reported_state is None:
            return  # not seen yet: a new image shows up in DescribeImages a moment after CreateImage
        state = waiter.last.get(STATE_FIELD[waiter.kind], "UNKNOWN") if waiter.last else "GONE"
        if state == waiter.reported_state and now - waiter.last_report < PROGRESS_EVERY_SECONDS:
            return
        waiter.reported_state, waiter.last_report = state, now
        self._report(waiter.urn, f"{waiter.kind} {waiter.resource_id}: {state} after {now - waiter.started:.0f}s")
