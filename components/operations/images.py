"""What happens to one image in the cloud: create (idempotently), wait, adopt, read, rename, retag, delete."""

import time

from ..cloud.client import CvmApi, Image
from ..cloud.errors import (
    ADOPTED_NEXT,
    CREATED_NEXT,
    DELETED_NEXT,
    READ_NEXT,
    CvmImageError,
    ImageRef,
    name_taken,
    translated,
)
from ..cloud.retry import Deadline, code_in, retrying, tolerating
from ..model.inputs import IMAGE_ID, ImageInputs
from ..waiting.grace import look_again
from ..waiting.poller import ImagePoller, Settled, WaitCancelled, WaitEnded
from ..waiting.readiness import wait_for_poweroff
from .facts import (
    FAILED_STATES,
    MARKER_TAG_KEY,
    READ_GRACE_SECONDS,
    TAG_GRACE_SECONDS,
    VISIBILITY_GRACE_SECONDS,
    bound_tags,
    create_params,
    declared_tags,
    gone,
    marker_of,
    settled_or_missing_for,
    tags_may_be_pending,
)
from .power import BuilderPower, Hold

NOT_FOUND = "InvalidImageId.NotFound"
BUSY = "InvalidImageId.IncorrectState"  # still building (or syncing): wait, then do it


class ImageService:
    """Image operations against one account and region, sharing the process's poller."""

    def __init__(self, api: CvmApi, poller: ImagePoller) -> None:
        self._api = api
        self._poller = poller
        self._power = BuilderPower(api, poller)
        self.region = api.region

    def create(self, inputs: ImageInputs, ref: ImageRef, deadline: Deadline) -> tuple[Image, str | None]:
        """Converge on exactly one NORMAL image for these inputs; returns it and CreateImage's RequestId."""
        hold = Hold()
        try:
            with translated("CreateImage", ref, CREATED_NEXT):
                if inputs.wait_for_poweroff:
                    wait_for_poweroff(self._poller, inputs.instance_id, ref, deadline)
                image_id, request_id = self._start(inputs, ref, deadline, hold)
            ref = ref.identified(image_id)
            with translated("CreateImage", ref, ADOPTED_NEXT):
                image = self._built(image_id, inputs, ref, deadline)
        except CvmImageError as error:
            restarted = self._power.release_after_failure(hold, inputs.instance_id)
            raise (CvmImageError(f"{error} {restarted}") if restarted else error) from None
        with translated("StartInstances", ref, f"Instance {inputs.instance_id} was left STOPPED: start it yourself."):
            self._power.release(hold, inputs.instance_id, deadline)
        with translated("TagResources", ref, ADOPTED_NEXT):
            image = self._bind_tags(image, inputs, deadline)
        return image, request_id

    def _built(self, image_id: str, inputs: ImageInputs, ref: ImageRef, deadline: Deadline) -> Image:
        """The new image once NORMAL; a failed build is deleted and explained."""
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
        return image

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

    def _start(self, inputs: ImageInputs, ref: ImageRef, deadline: Deadline, hold: Hold) -> tuple[str, str | None]:
        for attempt in retrying(deadline):
            with attempt:
                return self._start_once(inputs, ref, deadline, hold, maybe_done=attempt.retry_state.attempt_number > 1)
        raise AssertionError("unreachable: tenacity reraises the last error")

    def _start_once(
        self, inputs: ImageInputs, ref: ImageRef, deadline: Deadline, hold: Hold, maybe_done: bool
    ) -> tuple[str, str | None]:
        """One CreateImage, unless an earlier attempt (this run's or a dead `pulumi up`'s) already made the image."""
        if maybe_done and (own := self._own_image(inputs, ref, deadline)):
            return own["ImageId"], None
        self._power.prepare(inputs, ref, deadline, hold)
        with tolerating("InvalidImageName.Duplicate", "MutexOperation.TaskRunning") as refused:
            response = self._api.call_once("CreateImage", create_params(inputs))
        if refused.code:
            # A Duplicate name may belong to an image DescribeImages does not show yet: look for it patiently.
            duplicate = code_in(refused.code, ("InvalidImageName.Duplicate",))
            if own := self._own_image(inputs, ref, deadline, patient=duplicate):
                return own["ImageId"], None
            if not duplicate:
                raise refused.error  # an image task still running: the retry policy waits it out
            # The name was taken by an image of ours that had failed, and _own_image has just cleared it away.
            response = self._api.call_once("CreateImage", create_params(inputs))
        if response.get("ImageId"):
            return response["ImageId"], response.get("RequestId")
        # The seed's CreateImage answers with a RequestId only: find the image by its exact name.
        own = self._own_image(inputs, ref, deadline, patient=True)
        if own is None:
            raise CvmImageError(f"CreateImage accepted {ref.describe()} but no image of that name appeared. Run `pulumi up` again.")
        return own["ImageId"], response.get("RequestId")

    def _own_image(self, inputs: ImageInputs, ref: ImageRef, deadline: Deadline, patient: bool = False) -> Image | None:
        """The live image with this exact name if this resource made it; a failed one is cleared away first.

        `patient`: the name is known to be taken (InvalidImageName.Duplicate, or CreateImage answered without an id),
        so an empty answer means "not visible yet": look again for VISIBILITY_GRACE_SECONDS before giving up. An image
        without its marker tag yet (bound a moment after CreateImage) is looked at again for TAG_GRACE_SECONDS either
        way.
        """
        holder = self._holder(inputs.image_name, deadline, patient)
        if holder is None:
            if patient:
                raise CvmImageError(
                    f"CreateImage said the name of {ref.describe()} is taken, but no image of that name appeared "
                    f"in DescribeImages within {VISIBILITY_GRACE_SECONDS:.0f} s. Run `pulumi up` again."
                )
            return None
        if marker_of(holder) != inputs.instance_id:
            raise name_taken(ref, holder["ImageId"], holder.get("ImageState"))
        if holder.get("ImageState") in FAILED_STATES:
            self._discard(holder["ImageId"], deadline)
            return None
        return holder

    def _holder(self, name: str, deadline: Deadline, patient: bool) -> Image | None:
        """The image holding `name` (names are unique per region), once its tags can be believed."""
        started = time.monotonic()

        def look() -> list[Image] | None:
            images = self._api.images_named(name, deadline)
            if not images:
                return None if patient else []
            unmarked = marker_of(images[0]) is None and tags_may_be_pending(images[0])
            return None if unmarked and time.monotonic() - started < min(TAG_GRACE_SECONDS, deadline.remaining()) else images

        found = look_again(look, VISIBILITY_GRACE_SECONDS, deadline)
        return found[0] if found else None

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
            return self._poller.wait(image_id, settled, deadline, ref.urn)
        except WaitEnded as ended:
            state = ended.last.get("ImageState") if ended.last else "not visible"
            if isinstance(ended, WaitCancelled):
                raise CvmImageError(f"Cancelled while waiting for {ref.describe()}: it was left {state}. {then}") from None
            raise CvmImageError(
                f"{ref.describe()} is still {state} when wait_timeout_minutes ran out: it was left in place. {then} "
                "Raise wait_timeout_minutes if this takes longer."
            ) from None

    def adopt(self, inputs: ImageInputs, ref: ImageRef, deadline: Deadline) -> Image:
        """Take over an existing NORMAL private image (by id or exact name), giving it the declared name and description."""
        target = inputs.adopt_image or ""
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
            image = self._patiently_by_id(target, deadline)
            return image if image is not None and image.get("ImageType") == "PRIVATE_IMAGE" else None
        return look_again(lambda: next(iter(self._api.images_named(target, deadline)), None), READ_GRACE_SECONDS, deadline)

    def read(self, image_id: str, ref: ImageRef, deadline: Deadline) -> Image | None:
        """The image, or None when it stays missing for READ_GRACE_SECONDS (a new one may not be visible yet)."""
        with translated("DescribeImages", ref, READ_NEXT):
            return self._patiently_by_id(image_id, deadline)

    def _patiently_by_id(self, image_id: str, deadline: Deadline) -> Image | None:
        return look_again(lambda: self._api.describe_images([image_id], deadline).get(image_id), READ_GRACE_SECONDS, deadline)

    def rename(self, image_id: str, name: str, description: str, ref: ImageRef, deadline: Deadline) -> None:
        then = "The next `pulumi up` renames it."
        with translated("ModifyImageAttribute", ref, then):
            with tolerating(BUSY) as refused:
                self._api.modify_image(image_id, name, description, deadline)
            if refused.code:
                self._wait_settled(image_id, ref, deadline, then)
                self._api.modify_image(image_id, name, description, deadline)

    def delete(self, image_id: str, delete_snapshots: bool, ref: ImageRef, deadline: Deadline) -> None:
        """Delete and wait until it is gone; an image that is already gone counts as deleted."""
        with translated("DeleteImages", ref, DELETED_NEXT):
            with tolerating(NOT_FOUND, BUSY) as refused:
                self._api.delete_image(image_id, delete_snapshots, deadline)
            if refused.code == NOT_FOUND:
                return
            if refused.code:
                if self._wait_settled(image_id, ref, deadline, DELETED_NEXT) is None:
                    return
                self._api.delete_image(image_id, delete_snapshots, deadline)
            self._wait(image_id, ref, gone, deadline, DELETED_NEXT)

    def _discard(self, image_id: str, deadline: Deadline) -> None:
        with tolerating(NOT_FOUND):
            self._api.delete_image(image_id, delete_snapshots=True, deadline=deadline)
