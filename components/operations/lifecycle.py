"""The image of one resource, with its copies and shares, from create to delete, and the replacements between: what the
engine adapter asks for, in the cloud's terms.

Replacements. Image names are unique per region, so a replacement that keeps the name cannot make its image beside
the old one under that name. It is built under a pending name (`<name>-next-<old id>`), then the names are swapped:
the old image (and its copies) is retired (`<name>-retired-<UTC time>`, tagged `pulumi-cvm-image:retired`) and the new
one takes the name, so the name is without a usable image only for that moment, and the old image is untouched while
the new one builds. The engine then deletes the old image. When the engine deletes first (`delete_before_replace`),
the delete retires the old image instead (it is "parked"), and the create deletes it once the new image is made, or
gives it its name back when the new image fails.
"""

import time
from dataclasses import dataclass, field
from typing import Any

from ..cloud.client import Image
from ..cloud.errors import DELETED_NEXT, REPLACED_NEXT, CvmImageError, ImageRef, translated
from ..cloud.retry import Deadline
from ..model.inputs import ImageInputs
from .distribution import Distribution, Distributor
from .facts import RETIRED_TAG_KEY, iso_time, pending_name, retired_name
from .images import ImageService, PreviousVersion
from .ownership import Owner, claim_of, marks, new_claim

RESTORE_DEADLINE_SECONDS = 120.0


@dataclass
class Predecessor:
    """The image a create replaces, as the engine's record of the resource has it (its outputs). `parked`: the engine
    deleted the record first (delete before replace), and the delete retired the image instead of deleting it.
    `unrecorded`: no record holds it (found by its marks), so no engine delete will come for it."""

    image_id: str
    recorded: dict[str, Any] = field(default_factory=dict)
    parked: bool = False
    unrecorded: bool = False

    @classmethod
    def found(cls, image: Image) -> "Predecessor":
        """This resource's previous version as the cloud shows it (its copies and shares are not known)."""
        recorded = {
            "image_name": image.get("ImageName"), "image_description": image.get("ImageDescription") or None,
            "image_family": image.get("ImageFamily") or None, "deprecated": image.get("ImageDeprecated") or None,
        }
        return cls(image["ImageId"], recorded, unrecorded=True)


@dataclass(frozen=True)
class Created:
    image: Image
    request_id: str | None
    copies: dict[str, str]
    claim: str


class ImageLifecycle:
    def __init__(self, images: ImageService, distributor: Distributor) -> None:
        self._images = images
        self._distributor = distributor

    def create(self, inputs: ImageInputs, ref: ImageRef, deadline: Deadline, replacing: Predecessor | None) -> Created:
        """Make (or take over) the resource's image; `replacing` is the image it replaces, if any."""
        if inputs.adopt_image:
            image, request_id = self._images.adopt(inputs, ref, deadline), None
        elif replacing is not None and replacing.parked:
            image, request_id = self._replace_parked(inputs, ref, deadline, replacing)
        elif replacing is not None and replacing.recorded.get("image_name") == inputs.image_name:
            image, request_id = self._replace_keeping_name(inputs, ref, deadline, replacing)
        else:
            try:
                image, request_id = self._images.build(inputs, inputs.image_name, ref, deadline)
            except PreviousVersion as previous:
                image, request_id = self._replace_keeping_name(inputs, ref, deadline, Predecessor.found(previous.image))
        ref = ref.identified(image["ImageId"])
        claim = new_claim()
        with translated("TagResources", ref, "The next `pulumi up` takes the image over and tags it."):
            image = self._images.claim(image, {**(inputs.tags or {}), **marks(inputs, Owner.of(ref))}, claim, deadline)
        copies = self._distributor.converge(image, inputs, Distribution(), {}, False, ref, deadline)
        return Created(image, request_id, copies, claim)

    def _replace_keeping_name(
        self, inputs: ImageInputs, ref: ImageRef, deadline: Deadline, replacing: Predecessor
    ) -> tuple[Image, str | None]:
        holder = self._images.holder(inputs.image_name, ref, deadline, replacing=replacing.image_id)
        if holder is not None and holder["ImageId"] != replacing.image_id:
            # An image of this resource holds the name already: a run that died after the swap made it.
            return self._images.build(inputs, inputs.image_name, ref, deadline)
        image, request_id = self._images.build(inputs, pending_name(inputs.image_name, replacing.image_id), ref, deadline)
        swapped = ref.identified(image["ImageId"])
        with translated("ModifyImageAttribute", swapped, REPLACED_NEXT):
            if holder is not None:
                self._retire(replacing, ref, deadline)
            try:
                self._images.rename(image["ImageId"], inputs.image_name, inputs.image_description or "", swapped, deadline)
            except CvmImageError as error:
                raise CvmImageError(f"{error} {self._restore(replacing, ref)}") from None
        if replacing.unrecorded:  # no engine delete will come for it
            self.delete(replacing.recorded, ref.identified(replacing.image_id), deadline)
        return {**image, "ImageName": inputs.image_name}, request_id

    def _replace_parked(
        self, inputs: ImageInputs, ref: ImageRef, deadline: Deadline, replacing: Predecessor
    ) -> tuple[Image, str | None]:
        try:
            built = self._images.build(inputs, inputs.image_name, ref, deadline)
        except CvmImageError as error:
            raise CvmImageError(f"{error} {self._restore(replacing, ref)}") from None
        old = ref.identified(replacing.image_id)
        self.delete(replacing.recorded, old, deadline)
        return built

    def park(self, recorded: dict[str, Any], ref: ImageRef, deadline: Deadline) -> None:
        """The engine deletes the record of an image it is about to replace (delete before replace): retire the image
        instead, so that the create can give it its name back if the new image fails."""
        assert ref.image_id is not None
        self._retire(Predecessor(ref.image_id, recorded), ref, deadline)

    def _retire(self, predecessor: Predecessor, ref: ImageRef, deadline: Deadline) -> None:
        old = ref.identified(predecessor.image_id)
        now = time.time()
        name = retired_name(str(predecessor.recorded.get("image_name")), now)
        with translated("ModifyImageAttribute", old, REPLACED_NEXT):
            self._distributor.rename_all(predecessor.image_id, predecessor.recorded, name, old, deadline)
            self._distributor.tag_all(predecessor.image_id, predecessor.recorded, {RETIRED_TAG_KEY: iso_time(now)}, [], deadline)

    def _restore(self, predecessor: Predecessor, ref: ImageRef) -> str:
        """Give a retired predecessor its name back; the sentence that says how that went."""
        old, deadline = ref.identified(predecessor.image_id), Deadline.after(RESTORE_DEADLINE_SECONDS)
        name = str(predecessor.recorded.get("image_name"))
        try:
            self._distributor.rename_all(predecessor.image_id, predecessor.recorded, name, old, deadline)
            self._distributor.tag_all(predecessor.image_id, predecessor.recorded, {}, [RETIRED_TAG_KEY], deadline)
        except Exception as exc:  # noqa: BLE001 - the create's own failure is the one to report
            return (
                f"The image it replaces, {predecessor.image_id}, is still named as retired ({type(exc).__name__}); the "
                "next `pulumi up` replaces it again."
            )
        return f"The image it replaces, {predecessor.image_id}, has its name '{name}' back and is unchanged."

    def read(self, recorded: dict[str, Any], ref: ImageRef, deadline: Deadline) -> tuple[Image, dict[str, Any]] | None:
        """The live image and its family, deprecation, shares and copies as inputs; None when it is gone."""
        assert ref.image_id is not None
        image = self._images.read(ref.image_id, ref, deadline)
        if image is None:
            return None
        return image, self._distributor.read(image, recorded, ref, deadline)

    def update(self, olds: dict[str, Any], inputs: ImageInputs, ref: ImageRef, deadline: Deadline) -> tuple[dict[str, str], str]:
        """Take the image from its recorded outputs to the new inputs, in place; its copies and claim afterwards."""
        assert ref.image_id is not None
        renamed = (olds.get("image_name"), olds.get("image_description") or "") != (inputs.image_name, inputs.image_description or "")
        image = {"ImageId": ref.image_id, "CreatedTime": olds.get("created_time")}
        copies = self._distributor.converge(image, inputs, Distribution.of(olds), olds.get("copies") or {}, renamed, ref, deadline)
        old_tags, new_tags = olds.get("tags") or {}, inputs.tags or {}
        if old_tags != new_tags:
            self._images.retag(ref.image_id, old_tags, new_tags, ref, deadline)  # in place, through the Tag API
        claim = olds.get("claim")
        if not claim:  # made before 0.3.0: from now on it carries the marks of the resource that holds it
            claim = new_claim()
            with translated("TagResources", ref, "The next `pulumi up` tags it again."):
                self._images.claim(image, marks(inputs, Owner.of(ref)), claim, deadline)
        return copies, claim

    def delete(self, recorded: dict[str, Any], ref: ImageRef, deadline: Deadline) -> None:
        """Delete the image and its copies, unless a newer record of the resource has taken the image over since this
        record was written (`pulumi up --replace` of an image that kept its name): then it is no longer this record's."""
        assert ref.image_id is not None
        with translated("DeleteImages", ref, DELETED_NEXT):
            live = self._images.find(ref.image_id, deadline)
        if live is not None and recorded.get("claim") and claim_of(live) not in (None, recorded.get("claim")):
            return
        image = {"ImageId": ref.image_id, "CreatedTime": recorded.get("created_time")}
        self._distributor.remove(image, recorded, ref, deadline)
        self._images.delete(ref.image_id, bool(recorded.get("delete_bound_snapshots")), ref, deadline)
