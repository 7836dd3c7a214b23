"""The image of one resource, with its copies and shares, from create to delete, and the replacements between: what the
engine adapter asks for, in the cloud's terms.

Replacements. Image names are unique per region, so a replacement that keeps the name cannot make its image beside
the old one under that name. It is built under a pending name (`<name>-next-<old id>`), then the names are swapped:
the old image (and its copies) is retired (retention.py) and the new one takes the name, so the name is without a
usable image only for that moment, and the old image is untouched while the new one builds. The engine then deletes
the old record, and its image is kept (keep_previous) or deleted unless something launches from it. When the engine
deletes first (`delete_before_replace`), the delete retires the old image instead (it is "parked"), and the create
decides its fate once the new image is made, or gives it its name back when the new image fails.

Rollback (rollback_to) is a replacement without a build: the retained version takes the declared name back, the
current image is retired in its place, and the record holds the rolled-back image from then on.
"""

from dataclasses import dataclass, field
from typing import Any

from ..cloud.client import Image
from ..cloud.errors import DELETED_NEXT, READ_NEXT, REPLACED_NEXT, CvmImageError, ImageRef, translated
from ..cloud.retry import Deadline
from ..model.inputs import ImageInputs
from .distribution import Distribution, Distributor
from .facts import OWNER_TAG_KEY, RETIRED_TAG_KEY, bound_tags, pending_name, retired_facts, user_tags
from .images import ImageService, PreviousVersion
from .ownership import Owner, claim_of, marks, new_claim
from .retention import Policy, Record, Retention, Version


@dataclass
class Predecessor:
    """The image a create replaces, as the engine's record of the resource has it (its outputs). `parked`: the engine
    deleted the record first (delete before replace), and the delete retired the image instead of deleting it.
    `unrecorded`: no record holds it (found by its marks), so no engine delete will come for it. `successor`: once
    the create that replaces it has finished, how the new record keeps versions (for the engine's delete of this one)."""

    image_id: str
    recorded: dict[str, Any] = field(default_factory=dict)
    parked: bool = False
    unrecorded: bool = False
    successor: Policy | None = None

    @classmethod
    def found(cls, image: Image) -> "Predecessor":
        """This resource's previous version as the cloud shows it (its copies and shares are not known)."""
        recorded = {
            "image_name": image.get("ImageName"), "image_description": image.get("ImageDescription") or None,
            "image_family": image.get("ImageFamily") or None, "deprecated": image.get("ImageDeprecated") or None,
        }
        return cls(image["ImageId"], recorded, unrecorded=True)

    @property
    def record(self) -> Record:
        return {**self.recorded, "image_id": self.image_id}


@dataclass(frozen=True)
class Created:
    image: Image
    request_id: str | None
    copies: dict[str, str]
    claim: str
    previous: list[str]


@dataclass(frozen=True)
class Updated:
    copies: dict[str, str]
    claim: str
    previous: list[str]


@dataclass(frozen=True)
class _Made:
    """The image a create made, adopted or rolled back to, before its claim and copies, and what it replaced."""

    image: Image
    request_id: str | None
    marks: dict[str, str]
    replaced: Predecessor | None
    distribution: Distribution = Distribution()
    copies: dict[str, str] = field(default_factory=dict)


class ImageLifecycle:
    def __init__(self, images: ImageService, distributor: Distributor, retention: Retention) -> None:
        self._images = images
        self._distributor = distributor
        self._retention = retention

    def create(self, inputs: ImageInputs, ref: ImageRef, deadline: Deadline, replacing: Predecessor | None) -> Created:
        """Make (or take over, or roll back to) the resource's image; `replacing` is the image it replaces, if any."""
        made = self._make(inputs, ref, deadline, replacing)
        ref = ref.identified(made.image["ImageId"])
        claim = new_claim()
        with translated("TagResources", ref, "The next `pulumi up` takes the image over and tags it."):
            image = self._images.claim(made.image, {**(inputs.tags or {}), **made.marks}, claim, deadline)
        copies = self._distributor.converge(image, inputs, made.distribution, made.copies, False, ref, deadline)
        previous = self._settle(inputs, ref, deadline, made.replaced) if made.replaced is not None else []
        return Created(image, made.request_id, copies, claim, previous)

    def _make(self, inputs: ImageInputs, ref: ImageRef, deadline: Deadline, replacing: Predecessor | None) -> _Made:
        own = marks(inputs, Owner.of(ref))
        if inputs.adopt_image:
            return _Made(self._images.adopt(inputs, ref, deadline), None, own, replacing)
        if replacing is not None and inputs.rollback_to not in (None, replacing.image_id):
            return self._roll_back(inputs, ref, deadline, replacing)
        if replacing is not None and replacing.parked:
            image, request_id = self._replace_parked(inputs, ref, deadline, replacing)
        elif replacing is not None and replacing.recorded.get("image_name") == inputs.image_name:
            image, request_id = self._replace_keeping_name(inputs, ref, deadline, replacing)
        else:
            try:
                image, request_id = self._images.build(inputs, inputs.image_name, ref, deadline)
            except PreviousVersion as previous:
                replacing = Predecessor.found(previous.image)
                image, request_id = self._replace_keeping_name(inputs, ref, deadline, replacing)
        return _Made(image, request_id, own, replacing)

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
                self._retention.retire(replacing.record, ref, deadline)
            try:
                self._images.rename(image["ImageId"], inputs.image_name, inputs.image_description or "", swapped, deadline)
            except CvmImageError as error:
                raise CvmImageError(f"{error} {self._retention.restore(replacing.record, ref)}") from None
        if replacing.unrecorded:  # no engine delete will come for it
            self._supersede(replacing, Policy.of(inputs), ref, deadline)
        return {**image, "ImageName": inputs.image_name}, request_id

    def _replace_parked(
        self, inputs: ImageInputs, ref: ImageRef, deadline: Deadline, replacing: Predecessor
    ) -> tuple[Image, str | None]:
        try:
            built = self._images.build(inputs, inputs.image_name, ref, deadline)
        except CvmImageError as error:
            raise CvmImageError(f"{error} {self._retention.restore(replacing.record, ref)}") from None
        self._supersede(replacing, Policy.of(inputs), ref, deadline)
        return built

    def _roll_back(self, inputs: ImageInputs, ref: ImageRef, deadline: Deadline, replacing: Predecessor) -> _Made:
        """Make the retained version rollback_to current again, without a build: it takes the declared name (the
        current image, which holds it, is retired first) and attributes back; the copies follow in the create."""
        target = ref.identified(str(inputs.rollback_to))
        with translated("ModifyImageAttribute", target, REPLACED_NEXT):
            version = self._retained(inputs, ref.identified(replacing.image_id), deadline)
            record = {**self._retention.record_of(version, inputs.model_dump(), deadline), "image_description": inputs.image_description}
            swap = replacing.recorded.get("image_name") == inputs.image_name != version.image.get("ImageName")
            if swap and not replacing.parked:
                self._retention.retire(replacing.record, ref, deadline)
            try:
                self._retention.reinstate(record, inputs.image_name, bool(inputs.deprecated), ref, deadline)
            except CvmImageError as error:
                raise CvmImageError(f"{error} {self._retention.restore(replacing.record, ref)}" if swap else str(error)) from None
            self._images.retag(version.image_id, user_tags(version.image), inputs.tags or {}, target, deadline)
        if replacing.parked:
            self._supersede(replacing, Policy.of(inputs), ref, deadline)
        image = {**version.image, "ImageName": inputs.image_name, "ImageDescription": inputs.image_description or ""}
        distribution = Distribution(
            family=version.image.get("ImageFamily") or "", deprecated=bool(inputs.deprecated), regions=tuple(record["copies"]),
            accounts=tuple(inputs.share_with_accounts or ()), share_copies=bool(inputs.share_copies),
        )
        return _Made(image, None, {OWNER_TAG_KEY: Owner.of(ref).tag}, replacing, distribution, record["copies"])

    def _retained(self, inputs: ImageInputs, ref: ImageRef, deadline: Deadline) -> Version:
        """rollback_to as a retained version of this resource (or one an interrupted rollback already named); `ref`:
        the image it replaces."""
        image = self._images.find(str(inputs.rollback_to), deadline)
        problem = _not_retained(image, inputs, Owner.of(ref), ref.region)
        if image is None or problem is not None:
            raise CvmImageError(
                f"Cannot roll {ref.describe()} back to {inputs.rollback_to}: {problem}. rollback_to must name one of "
                "its retained versions, which its output previous_image_ids lists (`pulumi refresh` reads them from "
                "the cloud); nothing was changed."
            )
        return Version(image, *retired_facts(bound_tags(image).get(RETIRED_TAG_KEY, "")))

    def _supersede(self, replaced: Predecessor, policy: Policy, ref: ImageRef, deadline: Deadline) -> None:
        """Decide on an image this create replaced that no engine delete will come for (parked, or unrecorded): it
        was retired by the swap or the park."""
        with translated("DeleteImages", ref.identified(replaced.image_id), DELETED_NEXT):
            self._retention.supersede(replaced.record, policy, True, ref.identified(replaced.image_id), deadline)

    def _settle(self, inputs: ImageInputs, ref: ImageRef, deadline: Deadline, replaced: Predecessor) -> list[str]:
        """The versions kept after a replacement (the older ones pruned); the replaced image counts among them until
        the engine's delete of its record decides on it."""
        pending = None if replaced.parked or replaced.unrecorded else replaced.record
        with translated("DeleteImages", ref, DELETED_NEXT):
            return self._retention.settle(inputs, str(ref.image_id), pending, ref, deadline)

    def park(self, recorded: dict[str, Any], ref: ImageRef, deadline: Deadline) -> None:
        """The engine deletes the record of an image it is about to replace (delete before replace): retire the image
        instead, so that the create can give it its name back if the new image fails."""
        self._retention.retire({**recorded, "image_id": ref.image_id}, ref, deadline)

    def read(self, recorded: dict[str, Any], ref: ImageRef, deadline: Deadline) -> tuple[Image, dict[str, Any]] | None:
        """The live image and its family, deprecation, shares, copies and retained versions; None when it is gone."""
        assert ref.image_id is not None
        image = self._images.read(ref.image_id, ref, deadline)
        if image is None:
            return None
        with translated("DescribeImages", ref, READ_NEXT):
            retired = self._retention.versions(Owner.of(ref), deadline).retired
        previous = [version.image_id for version in retired if version.image_id != ref.image_id]
        return image, {**self._distributor.read(image, recorded, ref, deadline), "previous_image_ids": previous}

    def update(self, olds: dict[str, Any], inputs: ImageInputs, ref: ImageRef, deadline: Deadline) -> Updated:
        """Take the image from its recorded outputs to the new inputs, in place; its copies, claim and kept versions
        afterwards (pruned when keep_previous changed, or when more are kept than it allows)."""
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
        previous = list(olds.get("previous_image_ids") or [])
        if inputs.keep_previous != (olds.get("keep_previous") or 0) or len(previous) > inputs.keep_previous:
            with translated("DeleteImages", ref, DELETED_NEXT):
                previous = self._retention.settle(inputs, ref.image_id, None, ref, deadline)
        return Updated(copies, claim, previous)

    def delete(self, recorded: dict[str, Any], ref: ImageRef, deadline: Deadline, successor: Policy | None = None) -> None:
        """The record's image. Unless a newer record took it over (`pulumi up --replace` of an image that kept its
        name): a replaced record's image (its successor's create has finished: `successor` says how it keeps
        versions; or, in a later run, the cloud shows another finished image of the resource) is kept or deleted by
        keep_previous; otherwise (destroy, or the resource left the program) the image and every retained version go,
        none of them while something launches from any of them."""
        assert ref.image_id is not None
        record = {**recorded, "image_id": ref.image_id}
        with translated("DeleteImages", ref, DELETED_NEXT):
            live = self._images.find(ref.image_id, deadline)
            if live is not None and recorded.get("claim") and claim_of(live) not in (None, recorded.get("claim")):
                return
            versions = self._retention.versions(Owner.of(ref), deadline)
            if successor is None and not [image_id for image_id in versions.current if image_id != ref.image_id]:
                self._retention.destroy(record, [v for v in versions.retired if v.image_id != ref.image_id], ref, deadline)
            elif live is None:
                self._retention.discard(record, ref, deadline)  # its copies may be left
            else:
                retired = RETIRED_TAG_KEY in bound_tags(live)
                self._retention.supersede(record, successor or Policy.of(recorded), retired, ref, deadline)


def _not_retained(image: Image | None, inputs: ImageInputs, me: Owner, region: str) -> str | None:
    """Why `image` cannot be rolled back to (None: it can)."""
    if image is None:
        return f"no such image exists in {region}"
    tags = bound_tags(image)
    if tags.get(OWNER_TAG_KEY) != me.tag:
        return "this resource did not make it"
    if RETIRED_TAG_KEY not in tags and image.get("ImageName") != inputs.image_name:
        return "it is not one of its retained versions"
    if image.get("ImageState") != "NORMAL":
        return f"it is {image.get('ImageState')}"
    return None
