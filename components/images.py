"""What happens to one image in the cloud: create (idempotently), wait, rename, read, delete. No Pulumi types here."""

import threading
import time
from contextlib import contextmanager
from collections.abc import Iterator
from dataclasses import dataclass

from .cancel import CANCELLATION, Cancelled
from .client import CvmApi, Image
from .errors import CvmImageError, ImageRef, name_taken, translate
from .image_facts import (
    LOOKUP_INTERVAL_SECONDS,
    MARKER_TAG_KEY,
    bound_tags,
    create_params,
    declared_tags,
    gone,
    marker_of,
    patiently,
    settled_or_missing_for,
    tags_may_be_pending,
)
from .models import IMAGE_ID, ImageInputs
from .poller import ImagePoller, Settled, WaitCancelled, WaitStopped
from .readiness import wait_for_poweroff
from .retry import Deadline, code_in, error_code, retrying


FAILED_STATES = ("CREATEFAILED", "IMPORTFAILED")

# Today's API is eventually consistent: a new image can be missing from DescribeImages for a moment, and the tags of
# CreateImage's TagSpecification are bound a moment after it. These graces bound how long "missing" means "not yet".
VISIBILITY_GRACE_SECONDS = 60.0  # a just-created (or still building) image may be missing from DescribeImages
READ_GRACE_SECONDS = 5.0  # refresh and adopt re-check a missing image this long before calling it gone
TAG_GRACE_SECONDS = 6.0  # an image found by name is re-read this long for its marker tag to be bound
RESTART_DEADLINE_SECONDS = 120.0  # starting the instance again after a failed create

# What the next run does about an image an operation had to leave (at its deadline or on a cancel).
ADOPTED_NEXT = "The next `pulumi up` adopts it and waits again."
DELETED_NEXT = "It stays in the stack: the next `pulumi destroy` (or `pulumi up`) deletes it."


@contextmanager
def translated(action: str, ref: ImageRef, if_cancelled: str) -> Iterator[None]:
    """Every failure leaves the provider as a CvmImageError that names the image and the fix.

    `if_cancelled` says what the next run does when the engine cancels the operation here.
    """
    try:
        yield
    except Cancelled:
        raise CvmImageError(f"Cancelled during {action} for {ref.describe()}. {if_cancelled}") from None
    except Exception as exc:  # noqa: BLE001 - the translator decides what each failure means
        raise translate(exc, action, ref) from None


def image_ref(inputs: ImageInputs, region: str, image_id: str | None = None) -> ImageRef:
    return ImageRef(image_name=inputs.image_name, region=region, instance_id=inputs.instance_id, image_id=image_id)



@dataclass
class _Power:
    """What the provider did to the instance for this create: stopped it, so it must start it again."""

    stopped: bool = False


def refused_running(instance_id: str, ref: ImageRef) -> CvmImageError:
    return CvmImageError(
        f"CreateImage for {ref.describe()} was not sent: instance {instance_id} is RUNNING and reboot is false, so it may not be stopped for the image, and CreateImage "
        "would image it live. Set one of: reboot: true (the provider stops the instance with a soft shutdown, images it "
        "and starts it again; add force_poweroff: true for a forced power-off), or live_image: true (image it while it "
        "runs: data not yet flushed to disk may be missing from the image), or stop the instance first. Then run "
        "`pulumi up` again."
    )


class ImageService:
    """Image operations against one account and region, sharing the process's poller."""

    def __init__(self, api: CvmApi, poller: ImagePoller) -> None:
        self._api = api
        self._poller = poller
        self.region = api.region
        # Creates of this process holding an instance stopped for their images: the first stops it, the last starts it.
        self._holds: dict[str, int] = {}
        self._holds_lock = threading.Lock()

    def create(self, inputs: ImageInputs, deadline: Deadline) -> tuple[Image, str | None]:
        """Converge on exactly one NORMAL image for these inputs; returns it and CreateImage's RequestId."""
        ref = image_ref(inputs, self.region)
        power = _Power()
        try:
            with translated("CreateImage", ref, "The next `pulumi up` creates the image, or adopts it if this attempt made it."):
                if inputs.wait_for_poweroff:
                    wait_for_poweroff(self._poller, inputs.instance_id, ref, deadline)
                image_id, request_id = self._start(inputs, ref, deadline, power)
            ref = image_ref(inputs, self.region, image_id)
            with translated("CreateImage", ref, ADOPTED_NEXT):
                image = self._wait_settled(image_id, ref, deadline, ADOPTED_NEXT)
                if image is None:
                    raise CvmImageError(
                        f"{ref.describe()} was accepted by CreateImage but never appeared in DescribeImages within "
                        f"{VISIBILITY_GRACE_SECONDS:.0f} s. Run `pulumi up` again: it adopts the image if it shows up."
                    )
                if image.get("ImageState") in FAILED_STATES:
                    self._discard(image_id, deadline)
                    raise CvmImageError(
                        f"{ref.describe()} failed to build ({image.get('ImageState')}) from instance {inputs.instance_id} "
                        "and was deleted. Check the instance (its disks and state) and run `pulumi up` again."
                    )
        except CvmImageError as error:
            if power.stopped and self._release(inputs.instance_id):
                raise CvmImageError(f"{error} {self._restart_after_failure(inputs.instance_id)}") from None
            raise
        if power.stopped and self._release(inputs.instance_id):
            with translated("StartInstances", ref, f"Instance {inputs.instance_id} was left STOPPED: start it yourself."):
                self._api.start_instance(inputs.instance_id, deadline)
        with translated("TagResources", ref, ADOPTED_NEXT):
            image = self._bind_tags(image, inputs, deadline)
        return image, request_id

    def _restart_after_failure(self, instance_id: str) -> str:
        """Start the instance this create stopped; the sentence that says how that went."""
        try:
            self._api.start_instance(instance_id, Deadline.after(RESTART_DEADLINE_SECONDS))
        except Exception as exc:  # noqa: BLE001 - the create's own failure is the one to report
            reason = error_code(exc) or type(exc).__name__
            return (
                f"Instance {instance_id}, stopped for the image, could not be started again ({reason}): start it yourself "
                "(StartInstances or the console)."
            )
        return f"Instance {instance_id}, stopped for the image, was started again."

    def _bind_tags(self, image: Image, inputs: ImageInputs, deadline: Deadline) -> Image:
        """TagSpecification binds asynchronously: set the declared tags and the marker now if they are not bound yet."""
        bound = bound_tags(image)
        missing = {key: value for key, value in declared_tags(inputs).items() if bound.get(key) != value}
        if not missing:
            return image
        self._api.tags.tag_image(image["ImageId"], missing, deadline)
        return {**image, "Tags": [{"Key": key, "Value": value} for key, value in {**bound, **missing}.items()]}

    def retag(self, image_id: str, old: dict[str, str], new: dict[str, str], ref: ImageRef, deadline: Deadline) -> None:
        """Tags change in place through the Tag API; the marker tag is never touched here."""
        changed = {key: value for key, value in new.items() if old.get(key) != value and key != MARKER_TAG_KEY}
        removed = [key for key in old if key not in new and key != MARKER_TAG_KEY]
        with translated("TagResources" if changed else "UnTagResources", ref, "The next `pulumi up` sets the tags again."):
            if changed:
                self._api.tags.tag_image(image_id, changed, deadline)
            if removed:
                self._api.tags.untag_image(image_id, removed, deadline)

    def _start(self, inputs: ImageInputs, ref: ImageRef, deadline: Deadline, power: _Power) -> tuple[str, str | None]:
        for attempt in retrying(deadline):
            with attempt:
                return self._start_once(inputs, ref, deadline, power, maybe_done=attempt.retry_state.attempt_number > 1)
        raise AssertionError("unreachable: tenacity reraises the last error")

    def _start_once(
        self, inputs: ImageInputs, ref: ImageRef, deadline: Deadline, power: _Power, maybe_done: bool
    ) -> tuple[str, str | None]:
        """One CreateImage, unless an earlier attempt (this run's or a dead `pulumi up`'s) already made the image."""
        if maybe_done and (own := self._own_image(inputs, ref, deadline)):
            return own["ImageId"], None
        self._ready_instance(inputs, ref, deadline, power)
        try:
            response = self._api.call_once("CreateImage", create_params(inputs))
        except Exception as exc:
            code = error_code(exc)
            if not code_in(code, ("InvalidImageName.Duplicate", "MutexOperation.TaskRunning")):
                raise
            # A Duplicate name may belong to an image DescribeImages does not show yet: look for it patiently.
            duplicate = code_in(code, ("InvalidImageName.Duplicate",))
            if own := self._own_image(inputs, ref, deadline, patient=duplicate):
                return own["ImageId"], None
            if not duplicate:
                raise
            # The name was taken by an image of ours that had failed, and _own_image has just cleared it away.
            response = self._api.call_once("CreateImage", create_params(inputs))
        if response.get("ImageId"):
            return response["ImageId"], response.get("RequestId")
        # The seed's CreateImage answers with a RequestId only: find the image by its exact name.
        own = self._own_image(inputs, ref, deadline, patient=True)
        if own is None:
            raise CvmImageError(f"CreateImage accepted {ref.describe()} but no image of that name appeared. Run `pulumi up` again.")
        return own["ImageId"], response.get("RequestId")

    def _ready_instance(self, inputs: ImageInputs, ref: ImageRef, deadline: Deadline, power: _Power) -> None:
        """Keep the seed's promise on today's API: a running instance is shut down for the image (soft unless
        force_poweroff), so the image misses no data; `create` starts it again. live_image images it as it runs."""
        instance_id = inputs.instance_id
        instance = self._api.describe_instances([instance_id], deadline).get(instance_id)
        state = instance.get("InstanceState") if instance else None
        if inputs.live_image:
            return
        if not power.stopped:
            with self._holds_lock:
                held = self._holds.get(instance_id, 0) > 0
                if held:  # another create of this process stopped it: share its stop and its start
                    self._holds[instance_id] += 1
                    power.stopped = True
            if held:
                self._wait_stopped(instance_id, ref, deadline)
                return
        if state == "STOPPING" and power.stopped:
            state = self._wait_stopped(instance_id, ref, deadline)
        if state != "RUNNING":
            return  # stopped (or no such instance, or in transition): CreateImage answers, and is retried if it will pass
        if inputs.reboot is False:
            raise refused_running(instance_id, ref)
        if not power.stopped:
            with self._holds_lock:
                first = self._holds.get(instance_id, 0) == 0
                self._holds[instance_id] = self._holds.get(instance_id, 0) + 1
                power.stopped = True
            if not first:
                self._wait_stopped(instance_id, ref, deadline)
                return
        self._api.stop_instance(instance_id, hard=bool(inputs.force_poweroff), deadline=deadline)
        self._wait_stopped(instance_id, ref, deadline)

    def _release(self, instance_id: str) -> bool:
        """This create is done with the instance; True when it was the last holder, which starts it again."""
        with self._holds_lock:
            left = self._holds.get(instance_id, 1) - 1
            if left > 0:
                self._holds[instance_id] = left
                return False
            self._holds.pop(instance_id, None)
            return True

    def _wait_stopped(self, instance_id: str, ref: ImageRef, deadline: Deadline) -> str:
        def settled(instance: Image | None) -> bool:
            return instance is None or instance.get("InstanceState") not in ("RUNNING", "STOPPING")

        try:
            instance = self._poller.wait_instance(instance_id, settled, deadline)
        except WaitStopped as stopped:
            state = stopped.last.get("InstanceState") if stopped.last else "not visible"
            raise CvmImageError(
                f"Instance {instance_id} was still {state} when waiting for it to stop for {ref.describe()} ended "
                "(deadline or cancel). No image was made; the next `pulumi up` tries again."
            ) from None
        state = instance.get("InstanceState") if instance else "gone"
        if state != "STOPPED":
            raise CvmImageError(f"Instance {instance_id} went {state} instead of STOPPED, so {ref.describe()} was not made.")
        return state

    def _own_image(self, inputs: ImageInputs, ref: ImageRef, deadline: Deadline, patient: bool = False) -> Image | None:
        """The live image with this exact name if this resource made it; a failed one is cleared away first.

        `patient`: the name is known to be taken (InvalidImageName.Duplicate, or CreateImage answered without an id),
        so an empty answer means "not visible yet": look again for VISIBILITY_GRACE_SECONDS before giving up. An image
        without its marker tag yet (bound a moment after CreateImage) is re-read for TAG_GRACE_SECONDS either way.
        """
        started = time.monotonic()
        while True:
            images = self._api.images_named(inputs.image_name, deadline)
            waited = time.monotonic() - started
            for image in images:
                marker = marker_of(image)
                if marker != inputs.instance_id:
                    if marker is None and tags_may_be_pending(image) and waited < min(TAG_GRACE_SECONDS, deadline.remaining()):
                        break  # its marker may not be bound yet: read it again
                    raise name_taken(ref, image["ImageId"], image.get("ImageState"))
                if image.get("ImageState") in FAILED_STATES:
                    self._discard(image["ImageId"], deadline)
                    return None
                return image
            else:
                if not patient or waited >= min(VISIBILITY_GRACE_SECONDS, deadline.remaining()):
                    if patient:
                        raise CvmImageError(
                            f"CreateImage said the name of {ref.describe()} is taken, but no image of that name appeared "
                            f"in DescribeImages within {VISIBILITY_GRACE_SECONDS:.0f} s. Run `pulumi up` again."
                        )
                    return None
            CANCELLATION.sleep(LOOKUP_INTERVAL_SECONDS)

    def _wait_settled(self, image_id: str, ref: ImageRef, deadline: Deadline, then: str) -> Image | None:
        """The image once it is no longer busy; None if it stayed missing for VISIBILITY_GRACE_SECONDS."""
        return self._wait(image_id, ref, settled_or_missing_for(VISIBILITY_GRACE_SECONDS), deadline, then)

    def wait_built(self, image_id: str, ref: ImageRef, deadline: Deadline) -> Image:
        """A new image (a copy) once NORMAL or failed; an error if it never shows up."""
        then = "The next `pulumi up` finds it and waits again."
        image = self._wait_settled(image_id, ref, deadline, then)
        if image is None:
            raise CvmImageError(f"{ref.describe()} never appeared in DescribeImages within {VISIBILITY_GRACE_SECONDS:.0f} s. {then}")
        return image

    def wait_not_syncing(self, image_id: str, ref: ImageRef, deadline: Deadline) -> None:
        """Until a SyncImages running from the image (a copy being made) is done."""
        self._wait(image_id, ref, lambda image: image is None or image.get("ImageState") != "SYNCING", deadline, "")

    def _wait(self, image_id: str, ref: ImageRef, settled: Settled, deadline: Deadline, then: str) -> Image | None:
        """The settled image; else an error saying in which state the image was left and what the next run does."""
        try:
            return self._poller.wait(image_id, settled, deadline)
        except WaitStopped as stopped:
            state = stopped.last.get("ImageState") if stopped.last else "not visible"
            if isinstance(stopped, WaitCancelled):
                raise CvmImageError(f"Cancelled while waiting for {ref.describe()}: it was left {state}. {then}") from None
            raise CvmImageError(
                f"{ref.describe()} is still {state} when wait_timeout_minutes ran out: it was left in place. {then} "
                "Raise wait_timeout_minutes if this takes longer."
            ) from None

    def adopt(self, inputs: ImageInputs, deadline: Deadline) -> Image:
        """Take over an existing NORMAL private image (by id or exact name), giving it the declared name and description."""
        target = inputs.adopt_image or ""
        ref = image_ref(inputs, self.region)
        with translated("Adopting", ref, "The next `pulumi up` adopts it."):
            image = self._adoptable(target, deadline)
            if image is None:
                raise CvmImageError(
                    f"Cannot adopt '{target}' as {ref.describe()}: no custom image with that id or exact name exists in "
                    f"{self.region}. Check adopt_image and `tencentcloud:region`."
                )
            if image.get("ImageState") != "NORMAL":
                raise CvmImageError(
                    f"Cannot adopt image {image['ImageId']} ('{image.get('ImageName')}') as {ref.describe()}: it is "
                    f"{image.get('ImageState')}, and only a NORMAL image can be adopted. Wait for it to finish or delete it."
                )
            wanted = (inputs.image_name, inputs.image_description or "")
            if (image.get("ImageName"), image.get("ImageDescription") or "") != wanted:
                self._api.modify_image(image["ImageId"], *wanted, deadline)
                image = {**image, "ImageName": wanted[0], "ImageDescription": wanted[1]}
        return image

    def _adoptable(self, target: str, deadline: Deadline) -> Image | None:
        if IMAGE_ID.match(target):
            image = patiently(lambda: self._api.describe_images([target], deadline).get(target), READ_GRACE_SECONDS, deadline)
            return image if image is not None and image.get("ImageType") == "PRIVATE_IMAGE" else None
        return patiently(lambda: next(iter(self._api.images_named(target, deadline)), None), READ_GRACE_SECONDS, deadline)

    def read(self, image_id: str, ref: ImageRef, deadline: Deadline) -> Image | None:
        """The image, or None when it stays missing for READ_GRACE_SECONDS (a new one may not be visible yet)."""
        with translated("DescribeImages", ref, "The stack keeps what it had: the next `pulumi refresh` reads it."):
            return patiently(lambda: self._api.describe_images([image_id], deadline).get(image_id), READ_GRACE_SECONDS, deadline)

    def rename(self, image_id: str, name: str, description: str, ref: ImageRef, deadline: Deadline) -> None:
        with translated("ModifyImageAttribute", ref, "The next `pulumi up` renames it."):
            try:
                self._api.modify_image(image_id, name, description, deadline)
            except Exception as exc:
                if not code_in(error_code(exc), ("InvalidImageId.IncorrectState",)):
                    raise
                # Still building (or syncing): wait for it, then rename it.
                self._wait_settled(image_id, ref, deadline, "The next `pulumi up` renames it.")
                self._api.modify_image(image_id, name, description, deadline)

    def delete(self, image_id: str, delete_snapshots: bool, ref: ImageRef, deadline: Deadline) -> None:
        """Delete and wait until it is gone; an image that is already gone counts as deleted."""
        with translated("DeleteImages", ref, DELETED_NEXT):
            try:
                self._api.delete_image(image_id, delete_snapshots, deadline)
            except Exception as exc:
                code = error_code(exc)
                if code_in(code, ("InvalidImageId.NotFound",)):
                    return
                if not code_in(code, ("InvalidImageId.IncorrectState",)):
                    raise
                # Still building: let it settle, then delete it.
                if self._wait_settled(image_id, ref, deadline, DELETED_NEXT) is None:
                    return
                self._api.delete_image(image_id, delete_snapshots, deadline)
            self._wait(image_id, ref, gone, deadline, DELETED_NEXT)

    def _discard(self, image_id: str, deadline: Deadline) -> None:
        try:
            self._api.delete_image(image_id, delete_snapshots=True, deadline=deadline)
        except Exception as exc:
            if not code_in(error_code(exc), ("InvalidImageId.NotFound",)):
                raise

