"""Builder readiness: wait for the signal a builder gives when its provisioning is done, before it is imaged.

A builder's user data runs after boot, so RUNNING says nothing about it. The declared signal is that the builder
powers itself off (`shutdown -h now` at the end of its user data): the image waits until the instance is STOPPED,
and the provider neither stops nor starts it in this mode.
"""

from ..cloud.client import Image
from ..cloud.errors import CvmImageError, ImageRef
from ..cloud.retry import Deadline
from .poller import ImagePoller, WaitCancelled, WaitEnded

READY_STATE = "STOPPED"
# States a builder never leaves for STOPPED on its own: waiting on would only run into the deadline.
DEAD_STATES = ("LAUNCH_FAILED", "SHUTDOWN", "TERMINATING")
POWEROFF_HINT = "end its user data with `shutdown -h now` (or `poweroff`) once provisioning is done"


def _state(instance: Image | None) -> str:
    return instance.get("InstanceState", "UNKNOWN") if instance else "not found"


def _powered_off_or_dead(instance: Image | None) -> bool:
    return instance is None or instance.get("InstanceState") in (READY_STATE, *DEAD_STATES)


def wait_for_poweroff(poller: ImagePoller, instance_id: str, ref: ImageRef, deadline: Deadline) -> None:
    """Return once the instance is STOPPED; else a CvmImageError naming the instance, its state and the fix."""
    try:
        instance = poller.wait_instance(instance_id, _powered_off_or_dead, deadline, ref.urn)
    except WaitCancelled as cancelled:
        raise CvmImageError(
            f"Cancelled while waiting for builder instance {instance_id} to power itself off (wait_for_poweroff) for "
            f"{ref.describe()}: it was {_state(cancelled.last)}. No image was made; the next `pulumi up` waits again."
        ) from None
    except WaitEnded as stopped:
        raise CvmImageError(
            f"Builder instance {instance_id} was still {_state(stopped.last)} when {deadline.limit} ran out: it did "
            f"not power itself off (wait_for_poweroff), so {ref.describe()} was not made and the instance was left as "
            "it is. Check that its provisioning finished (e.g. /var/log/cloud-init-output.log) and that it powers off "
            f"at the end: {POWEROFF_HINT}. Then run `pulumi up` again, or raise {deadline.limit} if provisioning takes "
            "longer."
        ) from None
    if _state(instance) != READY_STATE:
        raise CvmImageError(
            f"Builder instance {instance_id} is {_state(instance)}: it will never power itself off (wait_for_poweroff), "
            f"so {ref.describe()} was not made. Replace the builder (`pulumi up --replace <its URN>`), then run "
            "`pulumi up` again."
        )
