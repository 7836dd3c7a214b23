"""What happens to one image in the cloud: create (idempotently), wait, rename, read, delete. No Pulumi types here."""

from contextlib import contextmanager
from collections.abc import Iterator
from typing import Any

from .cancel import Cancelled
from .client import TRUE_FALSE, CvmApi, Image
from .errors import CvmImageError, ImageRef, name_taken, translate
from .models import IMAGE_ID, ImageInputs
from .poller import ImagePoller, Settled, WaitCancelled, WaitStopped
from .retry import Deadline, code_in, error_code, retrying

# CreateImage tags every image with the instance it came from, so a retry or a later `pulumi up` can prove an
# image with the right name is the one an earlier attempt made (the API has no idempotency token).
MARKER_TAG_KEY = "pulumi-cvm-image:instance-id"

FAILED_STATES = ("CREATEFAILED", "IMPORTFAILED")
BUSY_STATES = ("CREATING", "SYNCING", "IMPORTING")

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


def create_params(inputs: ImageInputs) -> dict[str, Any]:
    """CreateImage with exactly what the user set, plus the marker tag."""
    params: dict[str, Any] = {"InstanceId": inputs.instance_id, "ImageName": inputs.image_name}
    if inputs.image_description is not None:
        params["ImageDescription"] = inputs.image_description
    for api_name, value in (("ForcePoweroff", inputs.force_poweroff), ("Sysprep", inputs.sysprep), ("Reboot", inputs.reboot)):
        if value is not None:
            params[api_name] = TRUE_FALSE[value]
    if inputs.data_disk_ids:
        params["DataDiskIds"] = list(inputs.data_disk_ids)
    tags = {**(inputs.tags or {}), MARKER_TAG_KEY: inputs.instance_id}
    params["TagSpecification"] = [{"ResourceType": "image", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}]
    return params


def user_tags(image: Image) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in image.get("Tags") or [] if tag["Key"] != MARKER_TAG_KEY}


def live_outputs(image: Image) -> dict[str, Any]:
    """The facts about an image worth having as outputs."""
    return {
        "image_id": image["ImageId"],
        "image_state": image.get("ImageState"),
        "created_time": image.get("CreatedTime"),
        "image_size": image.get("ImageSize"),
        "os_name": image.get("OsName"),
        "platform": image.get("Platform"),
        "architecture": image.get("Architecture"),
        "snapshot_ids": [snapshot["SnapshotId"] for snapshot in image.get("SnapshotSet") or []],
    }


class ImageService:
    """Image operations against one account and region, sharing the process's poller."""

    def __init__(self, api: CvmApi, poller: ImagePoller) -> None:
        self._api = api
        self._poller = poller
        self.region = api.region

    def create(self, inputs: ImageInputs, deadline: Deadline) -> tuple[Image, str | None]:
        """Converge on exactly one NORMAL image for these inputs; returns it and CreateImage's RequestId."""
        ref = image_ref(inputs, self.region)
        with translated("CreateImage", ref, "The next `pulumi up` creates the image, or adopts it if this attempt made it."):
            image_id, request_id = self._start(inputs, ref, deadline)
        ref = image_ref(inputs, self.region, image_id)
        with translated("CreateImage", ref, ADOPTED_NEXT):
            image = self._wait_settled(image_id, ref, deadline, ADOPTED_NEXT)
            if image is None:
                raise CvmImageError(f"{ref.describe()} disappeared while it was being created. Run `pulumi up` again.")
            if image.get("ImageState") in FAILED_STATES:
                self._discard(image_id, deadline)
                raise CvmImageError(
                    f"{ref.describe()} failed to build ({image.get('ImageState')}) from instance {inputs.instance_id} and "
                    "was deleted. A running instance whose soft shutdown fails ends this way: set force_poweroff=True to "
                    "force the shutdown, or stop the instance first; then run `pulumi up` again."
                )
        return image, request_id

    def _start(self, inputs: ImageInputs, ref: ImageRef, deadline: Deadline) -> tuple[str, str | None]:
        for attempt in retrying(deadline):
            with attempt:
                return self._start_once(inputs, ref, deadline, maybe_done=attempt.retry_state.attempt_number > 1)
        raise AssertionError("unreachable: tenacity reraises the last error")

    def _start_once(self, inputs: ImageInputs, ref: ImageRef, deadline: Deadline, maybe_done: bool) -> tuple[str, str | None]:
        """One CreateImage, unless an earlier attempt (this run's or a dead `pulumi up`'s) already made the image."""
        if maybe_done and (own := self._own_image(inputs, ref, deadline)):
            return own["ImageId"], None
        try:
            response = self._api.call_once("CreateImage", create_params(inputs))
        except Exception as exc:
            code = error_code(exc)
            if not code_in(code, ("InvalidImageName.Duplicate", "MutexOperation.TaskRunning")):
                raise
            if own := self._own_image(inputs, ref, deadline):
                return own["ImageId"], None
            if not code_in(code, ("InvalidImageName.Duplicate",)):
                raise
            # The name was taken by an image of ours that had failed, and _own_image has just cleared it away.
            response = self._api.call_once("CreateImage", create_params(inputs))
        if response.get("ImageId"):
            return response["ImageId"], response.get("RequestId")
        # The seed's CreateImage answers with a RequestId only: find the image by its exact name.
        own = self._own_image(inputs, ref, deadline)
        if own is None:
            raise CvmImageError(f"CreateImage accepted {ref.describe()} but no image of that name appeared. Run `pulumi up` again.")
        return own["ImageId"], response.get("RequestId")

    def _own_image(self, inputs: ImageInputs, ref: ImageRef, deadline: Deadline) -> Image | None:
        """The live image with this exact name if this resource made it; a failed one is cleared away first."""
        for image in self._api.images_named(inputs.image_name, deadline):
            if marker_of(image) != inputs.instance_id:
                raise name_taken(ref, image["ImageId"], image.get("ImageState"))
            if image.get("ImageState") in FAILED_STATES:
                self._discard(image["ImageId"], deadline)
                return None
            return image
        return None

    def _wait_settled(self, image_id: str, ref: ImageRef, deadline: Deadline, then: str) -> Image | None:
        return self._wait(image_id, ref, _not_busy, deadline, then)

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
            image = self._api.describe_images([target], deadline).get(target)
            return image if image is not None and image.get("ImageType") == "PRIVATE_IMAGE" else None
        return next(iter(self._api.images_named(target, deadline)), None)

    def read(self, image_id: str, ref: ImageRef, deadline: Deadline) -> Image | None:
        with translated("DescribeImages", ref, "The stack keeps what it had: the next `pulumi refresh` reads it."):
            return self._api.describe_images([image_id], deadline).get(image_id)

    def rename(self, image_id: str, name: str, description: str, ref: ImageRef, deadline: Deadline) -> None:
        with translated("ModifyImageAttribute", ref, "The next `pulumi up` renames it."):
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
            self._wait(image_id, ref, _gone, deadline, DELETED_NEXT)

    def _discard(self, image_id: str, deadline: Deadline) -> None:
        try:
            self._api.delete_image(image_id, delete_snapshots=True, deadline=deadline)
        except Exception as exc:
            if not code_in(error_code(exc), ("InvalidImageId.NotFound",)):
                raise


def marker_of(image: Image) -> str | None:
    return next((tag["Value"] for tag in image.get("Tags") or [] if tag["Key"] == MARKER_TAG_KEY), None)


def _not_busy(image: Image | None) -> bool:
    return image is None or image.get("ImageState") not in BUSY_STATES


def _gone(image: Image | None) -> bool:
    return image is None
