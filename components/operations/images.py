"""What happens to one image in one region: build (idempotently), wait, adopt, read, rename, retag, delete."""

import time
from collections.abc import Callable
from functools import partial
from typing import TypeVar

from ..cloud.client import CvmApi, Image
from ..cloud.errors import (
    ADOPTED_NEXT,
    CREATED_NEXT,
    DELETED_NEXT,
    READ_NEXT,
    REPLACED_NEXT,
    CvmImageError,
    ImageRef,
    translated,
)
from ..cloud.refusals import name_taken
from ..cloud.retry import MODIFY_BUSY, Deadline, code_in, retrying, tolerating
from ..model.inputs import IMAGE_ID, ImageInputs
from ..waiting.grace import look_again
from ..waiting.poller import ImagePoller, Reporter, Settled, WaitCancelled, WaitEnded, to_stderr
from ..waiting.readiness import wait_for_poweroff
from .facts import (
    CLAIM_TAG_KEY,
    FAILED_STATES,
    PROVIDER_TAG_PREFIX,
    READ_GRACE_SECONDS,
    TAG_GRACE_SECONDS,
    VISIBILITY_GRACE_SECONDS,
    bound_tags,
    create_params,
    gone,
    settled_or_missing_for,
    tags_may_be_pending,
)
from .ownership import Maker, Owner, claim_of, made_by, maker_text, marks, owner_tag
from .power import BuilderPower, Hold

class PreviousVersion(CvmImageError):
    """The name is held by this resource's image from another instance: its previous version, which the stack no
    longer records (a replacement whose record was lost, e.g. a delete before replace whose new image failed)."""

    def __init__(self, image: Image) -> None:
        super().__init__(f"image {image['ImageId']} holds the name: this resource's image from another instance")
        self.image = image


T = TypeVar("T")

NOT_FOUND = "InvalidImageId.NotFound"
DUPLICATE = "InvalidImageName.Duplicate"
TASK_RUNNING = "MutexOperation.TaskRunning"


class ImageService:
    """Image operations against one account and region, sharing the process's poller. `warn` reaches the resource's
    row of `pulumi up` with something the user should know although the operation went through."""

    def __init__(self, api: CvmApi, poller: ImagePoller, warn: Reporter = to_stderr) -> None:
        self._api = api
        self._poller = poller
        self._power = BuilderPower(api, poller)
        self._warn = warn
        self.region = api.region

    def build(self, inputs: ImageInputs, name: str, ref: ImageRef, deadline: Deadline) -> tuple[Image, str | None]:
        """Converge on one NORMAL image named `name`, made by this resource from these inputs; with CreateImage's
        RequestId (None when an image of this resource already held the name and was taken over as it is)."""
        hold = Hold()
        try:
            with translated("CreateImage", ref, CREATED_NEXT if name == ref.image_name else REPLACED_NEXT):
                if inputs.wait_for_poweroff:
                    wait_for_poweroff(self._poller, inputs.instance_id, ref, deadline)
                image_id, request_id, own = self._start(inputs, name, ref, deadline, hold)
            ref = ref.identified(image_id)
            with translated("CreateImage", ref, ADOPTED_NEXT):
                image = self._built(image_id, inputs, ref, deadline)
        except CvmImageError as error:
            restarted = self._power.finish_after_failure(hold, inputs, ref)
            if restarted and not isinstance(error, PreviousVersion):  # that one the caller handles: keep its type
                raise CvmImageError(f"{error} {restarted}") from None
            raise
        with translated("StartInstances", ref, f"Instance {inputs.instance_id} was left STOPPED: start it yourself."):
            self._power.finish(hold, inputs, ref, deadline)
        if own is not None and claim_of(own):
            self._warn(ref.urn, _TAKEN_OVER.format(image=image_id, name=name))
        return image, request_id

    def holder(
        self, name: str, ref: ImageRef, deadline: Deadline, patient: bool = False, replacing: str | None = None
    ) -> Image | None:
        """The image of this resource that holds `name`, or None when no image does (a failed one of ours is deleted
        first). An image that holds it and that this resource cannot prove it made is named in the error; the image
        `replacing` (the one this resource's record holds, being replaced) is this resource's whatever it was made from.

        `patient`: the name is known to be taken (InvalidImageName.Duplicate, or CreateImage answered without an id),
        so "none" means "not visible yet": look again for VISIBILITY_GRACE_SECONDS before giving up.
        """
        holder, me = self._holding(name, deadline, patient), Owner.of(ref)
        if holder is None:
            if patient:
                raise CvmImageError(
                    f"CreateImage said the name of {ref.describe()} is taken, but no image of that name appeared "
                    f"in DescribeImages within {VISIBILITY_GRACE_SECONDS:.0f} s. Run `pulumi up` again."
                )
            return None
        maker = made_by(holder, me, ref.instance_id)
        if holder["ImageId"] != replacing and maker is Maker.THIS_RESOURCE_ELSEWHERE and holder.get("ImageState") == "NORMAL":
            raise PreviousVersion(holder)
        if holder["ImageId"] != replacing and maker is not Maker.THIS_RESOURCE:
            raise name_taken(ref, holder["ImageId"], holder.get("ImageState"), maker_text(holder, me, ref.instance_id))
        if holder.get("ImageState") in FAILED_STATES:
            self._discard(holder["ImageId"], deadline)
            return None
        return holder

    def _holding(self, name: str, deadline: Deadline, patient: bool) -> Image | None:
        """The image holding `name` (names are unique per region), once its tags can be believed: an image without
        the provider's owner mark yet may still have CreateImage's tags on their way (TAG_GRACE_SECONDS)."""
        started = time.monotonic()

        def look() -> list[Image] | None:
            images = self._api.images_named(name, deadline)
            if not images:
                return None if patient else []
            unmarked = owner_tag(images[0]) is None and tags_may_be_pending(images[0])
            return None if unmarked and time.monotonic() - started < min(TAG_GRACE_SECONDS, deadline.remaining()) else images

        found = look_again(look, VISIBILITY_GRACE_SECONDS, deadline)
        return found[0] if found else None

    def _start(
        self, inputs: ImageInputs, name: str, ref: ImageRef, deadline: Deadline, hold: Hold
    ) -> tuple[str, str | None, Image | None]:
        """The image's id, CreateImage's RequestId, and the image of this resource that was there already (taken over
        without CreateImage: an interrupted attempt, or a finished image whose record the stack lost)."""
        for attempt in retrying(deadline):
            with attempt:
                return self._start_once(inputs, name, ref, deadline, hold, maybe_done=attempt.retry_state.attempt_number > 1)
        raise AssertionError("unreachable: tenacity reraises the last error")

    def _start_once(
        self, inputs: ImageInputs, name: str, ref: ImageRef, deadline: Deadline, hold: Hold, maybe_done: bool
    ) -> tuple[str, str | None, Image | None]:
        """One CreateImage, unless an earlier attempt (this run's, whose answer was lost) already made the image."""
        if maybe_done and (own := self.holder(name, ref, deadline)):
            return own["ImageId"], None, own
        # Look before stopping a running instance: an image of this resource that holds the name is taken over, and
        # the instance keeps running.
        if own := self._power.prepare(inputs, ref, deadline, hold, look=lambda: self.holder(name, ref, deadline)):
            return own["ImageId"], None, own
        params = create_params(inputs, name, marks(inputs, Owner.of(ref)))
        with tolerating(DUPLICATE, TASK_RUNNING) as refused:
            response = self._api.call_once("CreateImage", params)
        if refused.code:
            # A Duplicate name may belong to an image DescribeImages does not show yet: look for it patiently.
            duplicate = code_in(refused.code, (DUPLICATE,))
            if own := self.holder(name, ref, deadline, patient=duplicate):
                return own["ImageId"], None, own
            if not duplicate:
                raise refused.error  # an image task still running: the retry policy waits it out
            # The name was taken by an image of ours that had failed, and `holder` has just cleared it away.
            response = self._api.call_once("CreateImage", params)
        if response.get("ImageId"):
            return response["ImageId"], response.get("RequestId"), None
        # The seed's CreateImage answers with a RequestId only: find the image by its exact name.
        made = self.holder(name, ref, deadline, patient=True)
        if made is None:
            raise CvmImageError(f"CreateImage accepted {ref.describe()} but no image of that name appeared. Run `pulumi up` again.")
        return made["ImageId"], response.get("RequestId"), None

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

    def claim(self, image: Image, tags: dict[str, str], claim: str, deadline: Deadline) -> Image:
        """Give the image these tags (TagSpecification binds late, and a taken-over image has older ones) and the
        claim of the record that now holds it."""
        bound = bound_tags(image)
        wanted = {**tags, CLAIM_TAG_KEY: claim}
        missing = {key: value for key, value in wanted.items() if bound.get(key) != value}
        if missing:
            self._api.tags.tag_image(image["ImageId"], missing, deadline)
        return {**image, "Tags": [{"Key": key, "Value": value} for key, value in {**bound, **missing}.items()]}

    def retag(self, image_id: str, old: dict[str, str], new: dict[str, str], ref: ImageRef, deadline: Deadline) -> None:
        """The user's tags change in place through the Tag API; the provider's own marks are never touched here."""
        changed = {key: value for key, value in new.items() if old.get(key) != value}
        removed = [key for key in old if key not in new and not key.startswith(PROVIDER_TAG_PREFIX)]
        with translated("TagResources" if changed else "UnTagResources", ref, "The next `pulumi up` sets the tags again."):
            if changed:
                self._api.tags.tag_image(image_id, changed, deadline)
            if removed:
                self._api.tags.untag_image(image_id, removed, deadline)

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

    def when_settled(
        self, image_id: str, ref: ImageRef, deadline: Deadline, busy: tuple[str, ...], action: Callable[[], T], then: str = ""
    ) -> T:
        """`action()`, and once more after the image has settled if it answered one of `busy` (the action's documented
        "image busy" codes: the image was CREATING, SYNCING or IMPORTING). Once: an image busy again, or failed, has
        the action's answer."""
        with tolerating(*busy):
            return action()
        self._wait_settled(image_id, ref, deadline, then)
        return action()

    def _wait(self, image_id: str, ref: ImageRef, settled: Settled, deadline: Deadline, then: str) -> Image | None:
        """The settled image; else an error saying in which state the image was left and what the next run does."""
        try:
            return self._poller.wait(image_id, settled, deadline, ref.urn)
        except WaitEnded as ended:
            state = ended.last.get("ImageState") if ended.last else "not visible"
            if isinstance(ended, WaitCancelled):
                raise CvmImageError(f"Cancelled while waiting for {ref.describe()}: it was left {state}. {then}") from None
            raise CvmImageError(
                f"{ref.describe()} is still {state} when {deadline.limit} ran out: it was left in place. {then} "
                f"Raise {deadline.limit} if this takes longer."
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

    def find(self, image_id: str, deadline: Deadline) -> Image | None:
        """The image as DescribeImages shows it now (None: missing, perhaps not visible yet)."""
        return self._api.describe_images([image_id], deadline).get(image_id)

    def _patiently_by_id(self, image_id: str, deadline: Deadline) -> Image | None:
        return look_again(lambda: self.find(image_id, deadline), READ_GRACE_SECONDS, deadline)

    def rename(
        self, image_id: str, name: str, description: str, ref: ImageRef, deadline: Deadline, deprecated: bool | None = None
    ) -> None:
        """Name and description (and with `deprecated`, the deprecation) in one call, once the image is not busy."""
        then = "The next `pulumi up` renames it."
        with translated("ModifyImageAttribute", ref, then):
            modify = partial(self._api.modify_image, image_id, name, description, deadline, deprecated)
            self.when_settled(image_id, ref, deadline, MODIFY_BUSY, modify, then)

    def delete(self, image_id: str, delete_snapshots: bool, ref: ImageRef, deadline: Deadline) -> None:
        """Delete and wait until it is gone; an image that is already gone counts as deleted."""
        delete = partial(self._api.delete_image, image_id, delete_snapshots, deadline)
        with translated("DeleteImages", ref, DELETED_NEXT), tolerating(NOT_FOUND):
            self.when_settled(image_id, ref, deadline, MODIFY_BUSY, delete, DELETED_NEXT)
            self._wait(image_id, ref, gone, deadline, DELETED_NEXT)

    def _discard(self, image_id: str, deadline: Deadline) -> None:
        with tolerating(NOT_FOUND):
            self._api.delete_image(image_id, delete_snapshots=True, deadline=deadline)


_TAKEN_OVER = (
    "Image {image} ('{name}'), which this resource made and finished earlier, held the name and was taken over as it "
    "is, not rebuilt: the stack had no record of it (after `pulumi state delete`), or this is `pulumi up --replace`, "
    "which the engine does not announce to providers. To rebuild an image that keeps its name, see the README, "
    "\"What a change does\"."
)
