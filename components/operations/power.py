"""The builder's power around its image: keep the seed's promise on today's API. A running instance is shut down for
the image, so the image misses no data, and started again once the image has settled. The shutdown is the seed's:
soft (StopType SOFT), and when it fails the task ends, no image made and the instance left running; with
force_poweroff a failed soft shutdown is forced (SOFT_FIRST). A failed stop shows only in DescribeInstances: the
instance RUNNING again with LatestOperationState FAILED for the stop's RequestId.

The provider records on the instance (a tag, through the Tag API, before it stops it) that it stopped it for an image
of a resource. Whichever operation finishes, takes over or gives up on that image starts the instance again and clears
the record: this process's create, or, after a Ctrl-C or a killed `pulumi up`, the next `up`'s. An instance the
provider did not stop (no record, no hold) is never started. Creates of this process imaging the same instance at once
share one stop and one start: the first stops it, the last starts it.
"""

import threading
from collections.abc import Callable
from dataclasses import dataclass

from ..cloud.cancel import CANCELLATION, Cancellation
from ..cloud.client import CvmApi, Image, Instance
from ..cloud.errors import CvmImageError, ImageRef
from ..cloud.refusals import refused_running, stop_failed
from ..cloud.retry import Deadline, error_code
from ..model.inputs import ImageInputs
from ..waiting.poller import ImagePoller, WaitEnded
from .facts import bound_tags
from .ownership import Owner

RESTART_DEADLINE_SECONDS = 120.0  # starting the instance again after a failed create
STOPPED_FOR_TAG_PREFIX = "pulumi-cvm-image:stopped-for:"  # + the resource's URN hash; value: the image's name


def record_key(me: Owner) -> str:
    return STOPPED_FOR_TAG_PREFIX + me.resource


def _never_stopped(inputs: ImageInputs) -> bool:
    """live_image images the instance as it runs; with wait_for_poweroff it powers itself off and stays off."""
    return bool(inputs.live_image or inputs.wait_for_poweroff)


@dataclass(frozen=True)
class Stop:
    """A stop this process sent: its RequestId (the instance's LatestOperationRequestId while it is the latest
    operation) and whether it forces a failed soft shutdown (SOFT_FIRST)."""

    request_id: str
    forced: bool


@dataclass
class Hold:
    """What one create did to its instance: whether it holds it stopped, so that its end must let it go."""

    stopped: bool = False


class BuilderPower:
    def __init__(self, api: CvmApi, poller: ImagePoller, cancellation: Cancellation = CANCELLATION) -> None:
        self._api = api
        self._poller = poller
        self._cancellation = cancellation
        self._holds: dict[str, int] = {}  # instance id -> creates of this process holding it stopped
        self._stops: dict[str, Stop] = {}  # instance id -> the last stop this process sent it
        self._lock = threading.Lock()
        self._finishing = threading.Lock()

    def prepare(
        self, inputs: ImageInputs, ref: ImageRef, deadline: Deadline, hold: Hold, look: Callable[[], Image | None]
    ) -> Image | None:
        """Make the instance ready for CreateImage: stopped if it runs (live_image: as it is). `hold` records
        whether this create now holds it stopped. Before it would stop a running instance it calls `look`: the image
        that finds (one this resource made already) is returned instead, and the instance is left running."""
        if inputs.live_image:
            return None
        instance_id = inputs.instance_id
        if not hold.stopped and self._join(instance_id):  # another create stopped it: share its stop and its start
            hold.stopped = True
            self._record(instance_id, ref, deadline)
            self._wait_stopped(instance_id, ref, deadline)
            return None
        state = self._state(instance_id, deadline)
        if state == "STOPPING" and hold.stopped:
            state = self._wait_stopped(instance_id, ref, deadline)
        if state != "RUNNING":
            return None  # stopped (or no such instance, or in transition): CreateImage answers, and is retried if it will pass
        if not hold.stopped and (found := look()) is not None:
            return found
        if inputs.reboot is False:
            raise refused_running(instance_id, ref)
        if not hold.stopped:
            hold.stopped = True
            first = self._take(instance_id)
            self._record(instance_id, ref, deadline)  # before the stop: a run killed after it leaves the record
            if not first:
                self._wait_stopped(instance_id, ref, deadline)
                return None
        forced = bool(inputs.force_poweroff)
        request_id = self._api.stop_instance(instance_id, force=forced, deadline=deadline)
        if request_id is not None:
            with self._lock:
                self._stops[instance_id] = Stop(request_id, forced)
        self._wait_stopped(instance_id, ref, deadline)
        return None

    def finish(self, hold: Hold, inputs: ImageInputs, ref: ImageRef, deadline: Deadline) -> None:
        """The image has settled: clear this resource's record, and start the instance again if this resource stopped
        it (now, or in a run that died) and nothing else holds it stopped."""
        if not _never_stopped(inputs):
            self._finish(hold, inputs.instance_id, Owner.of(ref), deadline)

    def finish_after_failure(self, hold: Hold, inputs: ImageInputs, ref: ImageRef) -> str:
        """The create failed or was cancelled: `finish`, as far as the API allows now; the sentence that says how that
        went ("" when there was nothing to do). After a cancel it tries once (the image may still hold the instance);
        a record it could not clear is left for the next `pulumi up`."""
        cancelled, instance_id = self._cancellation.cancelled, inputs.instance_id
        if _never_stopped(inputs) or cancelled and not hold.stopped:
            return ""  # a record an earlier run left waits for the next `pulumi up`: no call after a cancel
        # This create stopped it: try hard to start it, unless cancelled (then once). Else only look once for a record
        # an earlier run left: the create has just failed, perhaps because the API does not answer.
        deadline = Deadline.after(RESTART_DEADLINE_SECONDS) if hold.stopped and not cancelled else None
        me = Owner.of(ref)
        try:
            started = self._finish(hold, instance_id, me, deadline)
        except Exception as exc:  # noqa: BLE001 - the create's own failure is the one to report
            reason = error_code(exc) or type(exc).__name__
            return (
                f"Instance {instance_id}, stopped for the image, could not be started again now ({reason}): it is "
                f"tagged {record_key(me)}, and the next `pulumi up` of this image starts it once the image is done; "
                "or start it yourself (StartInstances or the console)."
            )
        return f"Instance {instance_id}, stopped for the image, was started again." if started else ""

    def _finish(self, hold: Hold, instance_id: str, me: Owner, deadline: Deadline | None) -> bool:
        """Let go of the instance; True when this started it. `deadline` None: one attempt of each call."""
        with self._finishing:  # one finisher at a time, so the last one sees the others' records cleared
            last = self._let_go(hold, instance_id)
            instance = self._api.describe_instances([instance_id], deadline).get(instance_id)
            if instance is None:
                return False
            records = {key for key in bound_tags(instance) if key.startswith(STOPPED_FOR_TAG_PREFIX)}
            mine = record_key(me) in records
            running = instance.get("InstanceState") == "RUNNING"  # e.g. its soft shutdown failed
            start = last and (hold.stopped or mine) and not running and not records - {record_key(me)}
            if start:  # before clearing the record: a start that fails leaves it for the next `pulumi up`
                self._api.start_instance(instance_id, deadline)
            if mine:
                self._api.tags.untag_instance(instance_id, [record_key(me)], deadline)
            return start

    def _let_go(self, hold: Hold, instance_id: str) -> bool:
        """This create is done with the instance; True unless another create of this process still holds it."""
        with self._lock:
            if hold.stopped:
                left = self._holds.get(instance_id, 1) - 1
                if left > 0:
                    self._holds[instance_id] = left
                else:
                    self._holds.pop(instance_id, None)
            return not self._holds.get(instance_id)

    def _record(self, instance_id: str, ref: ImageRef, deadline: Deadline) -> None:
        self._api.tags.tag_instance(instance_id, {record_key(Owner.of(ref)): ref.image_name}, deadline)

    def _state(self, instance_id: str, deadline: Deadline) -> str | None:
        instance = self._api.describe_instances([instance_id], deadline).get(instance_id)
        return instance.get("InstanceState") if instance else None

    def _join(self, instance_id: str) -> bool:
        """Count this create among the instance's holders if another create holds it already."""
        with self._lock:
            if not self._holds.get(instance_id):
                return False
            self._holds[instance_id] += 1
            return True

    def _take(self, instance_id: str) -> bool:
        """Count this create among the instance's holders; True when it is the first, which stops the instance."""
        with self._lock:
            held = self._holds.get(instance_id, 0)
            self._holds[instance_id] = held + 1
            return held == 0

    def _wait_stopped(self, instance_id: str, ref: ImageRef, deadline: Deadline) -> str:
        """Until the instance is STOPPED (never judged by LatestOperationState SUCCESS, which the cloud reports while
        it is still STOPPING); an error when it settles otherwise, e.g. running again after a failed soft shutdown."""

        def settled(instance: Instance | None) -> bool:
            return instance is None or instance.get("InstanceState") not in ("RUNNING", "STOPPING") or bool(self._stop_failed(instance))

        try:
            instance = self._poller.wait_instance(instance_id, settled, deadline, ref.urn)
        except WaitEnded as ended:
            state = ended.last.get("InstanceState") if ended.last else "not visible"
            raise CvmImageError(
                f"Instance {instance_id} was still {state} when waiting for it to stop for {ref.describe()} ended "
                f"({deadline.limit} or a cancel). No image was made; the next `pulumi up` tries again."
            ) from None
        state = instance.get("InstanceState") if instance else "gone"
        if state == "STOPPED":
            return state
        if instance is not None and (stop := self._stop_failed(instance)):
            raise stop_failed(instance_id, ref, str(state), stop.forced, instance.get("LatestOperationErrorMsg") or "")
        raise CvmImageError(f"Instance {instance_id} went {state} instead of STOPPED, so {ref.describe()} was not made.")

    def _stop_failed(self, instance: Instance) -> Stop | None:
        """The stop this process sent the instance, if it is the instance's latest operation and it failed."""
        with self._lock:
            stop = self._stops.get(instance.get("InstanceId", ""))
        failed = (
            stop is not None
            and instance.get("LatestOperationRequestId") == stop.request_id
            and instance.get("LatestOperation") == "StopInstances"
            and instance.get("LatestOperationState") == "FAILED"
        )
        return stop if failed else None
