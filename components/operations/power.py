"""The builder's power around its image: keep the seed's promise on today's API. A running instance is shut down for
the image (soft unless force_poweroff), so the image misses no data, and started again once the image has settled.

Creates of this process imaging the same instance at once share one stop and one start: the first stops it, the last
starts it.
"""

import threading
from dataclasses import dataclass

from ..cloud.client import CvmApi, Instance
from ..cloud.errors import CvmImageError, ImageRef, refused_running
from ..cloud.retry import Deadline, error_code
from ..model.inputs import ImageInputs
from ..waiting.poller import ImagePoller, WaitEnded

RESTART_DEADLINE_SECONDS = 120.0  # starting the instance again after a failed create


@dataclass
class Hold:
    """What one create did to its instance: whether it holds it stopped, so that its end must let it go."""

    stopped: bool = False


class BuilderPower:
    def __init__(self, api: CvmApi, poller: ImagePoller) -> None:
        self._api = api
        self._poller = poller
        self._holds: dict[str, int] = {}  # instance id -> creates holding it stopped
        self._lock = threading.Lock()

    def prepare(self, inputs: ImageInputs, ref: ImageRef, deadline: Deadline, hold: Hold) -> None:
        """Make the instance ready for CreateImage: stopped if it runs (live_image: as it is). `hold` records
        whether this create now holds it stopped."""
        if inputs.live_image:
            return
        instance_id = inputs.instance_id
        if not hold.stopped and self._join(instance_id):  # another create stopped it: share its stop and its start
            hold.stopped = True
            self._wait_stopped(instance_id, ref, deadline)
            return
        state = self._state(instance_id, deadline)
        if state == "STOPPING" and hold.stopped:
            state = self._wait_stopped(instance_id, ref, deadline)
        if state != "RUNNING":
            return  # stopped (or no such instance, or in transition): CreateImage answers, and is retried if it will pass
        if inputs.reboot is False:
            raise refused_running(instance_id, ref)
        if not hold.stopped:
            hold.stopped = True
            if not self._take(instance_id):
                self._wait_stopped(instance_id, ref, deadline)
                return
        self._api.stop_instance(instance_id, hard=bool(inputs.force_poweroff), deadline=deadline)
        self._wait_stopped(instance_id, ref, deadline)

    def release(self, hold: Hold, instance_id: str, deadline: Deadline) -> None:
        """The create went through: start the instance again if this create was its last holder."""
        if hold.stopped and self._let_go(instance_id):
            self._api.start_instance(instance_id, deadline)

    def release_after_failure(self, hold: Hold, instance_id: str) -> str:
        """The create failed: start the instance again if this create was its last holder; the sentence that says how
        that went ("" when there was nothing to do)."""
        if not (hold.stopped and self._let_go(instance_id)):
            return ""
        try:
            self._api.start_instance(instance_id, Deadline.after(RESTART_DEADLINE_SECONDS))
        except Exception as exc:  # noqa: BLE001 - the create's own failure is the one to report
            reason = error_code(exc) or type(exc).__name__
            return (
                f"Instance {instance_id}, stopped for the image, could not be started again ({reason}): start it yourself "
                "(StartInstances or the console)."
            )
        return f"Instance {instance_id}, stopped for the image, was started again."

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

    def _let_go(self, instance_id: str) -> bool:
        """This create is done with the instance; True when it was the last holder, which starts it again."""
        with self._lock:
            left = self._holds.get(instance_id, 1) - 1
            if left > 0:
                self._holds[instance_id] = left
                return False
            self._holds.pop(instance_id, None)
            return True

    def _wait_stopped(self, instance_id: str, ref: ImageRef, deadline: Deadline) -> str:
        def settled(instance: Instance | None) -> bool:
            return instance is None or instance.get("InstanceState") not in ("RUNNING", "STOPPING")

        try:
            instance = self._poller.wait_instance(instance_id, settled, deadline, ref.urn)
        except WaitEnded as ended:
            state = ended.last.get("InstanceState") if ended.last else "not visible"
            raise CvmImageError(
                f"Instance {instance_id} was still {state} when waiting for it to stop for {ref.describe()} ended "
                "(deadline or cancel). No image was made; the next `pulumi up` tries again."
            ) from None
        state = instance.get("InstanceState") if instance else "gone"
        if state != "STOPPED":
            raise CvmImageError(f"Instance {instance_id} went {state} instead of STOPPED, so {ref.describe()} was not made.")
        return state
