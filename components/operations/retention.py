"""The versions of one resource's image. A replacement retires the image it replaces when keep_previous asks for it
(or when something still launches from it): the image keeps its id, is renamed `<name>-retired-<UTC>-<id>`, deprecated
(families skip it) and tagged pulumi-cvm-image:retired, its copies with it. The newest keep_previous retired versions
stay; older ones are deleted unless something launches from them (then they stay beyond the count, with a warning).
Versions are found by their tags (the resource's owner mark, the retired mark), so `pulumi refresh` sees them too."""

import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from ..cloud.client import Image
from ..cloud.errors import REPLACED_NEXT, ImageRef, translated
from ..cloud.refusals import destroy_in_use
from ..cloud.retry import Deadline
from ..model.inputs import ImageInputs
from ..waiting.poller import Reporter
from .copies import COPY_OF_TAG_KEY, Regions
from .distribution import Distributor
from .facts import CLAIM_TAG_KEY, OWNER_TAG_KEY, RETIRED_TAG_KEY, bound_tags, marker_of, retired_facts, retired_name, retired_value
from .images import ImageService
from .ownership import Owner
from .usage import Located, Usage, lines

RESTORE_DEADLINE_SECONDS = 120.0

# An image as a record of the resource holds it (its outputs: image_id, image_name, copies, ...), or a retired
# version described the same way (record_of).
Record = dict[str, Any]


@dataclass(frozen=True)
class Policy:
    """How a resource keeps the versions a replacement replaces (from its inputs, or from a record's outputs)."""

    keep: int = 0
    delete_in_use: bool = False

    @classmethod
    def of(cls, values: ImageInputs | Record) -> "Policy":
        if isinstance(values, ImageInputs):
            return cls(values.keep_previous, values.delete_in_use)
        return cls(int(values.get("keep_previous") or 0), bool(values.get("delete_in_use")))


@dataclass(frozen=True)
class Version:
    """A retired version as DescribeImages shows it: when it was retired, and the regions of its copies."""

    image: Image
    retired_at: str
    regions: tuple[str, ...]

    @property
    def image_id(self) -> str:
        return str(self.image["ImageId"])


@dataclass(frozen=True)
class Versions:
    """The images of one resource in its region, by their tags."""

    retired: list[Version]  # newest first
    current: list[str]  # the finished (claimed), unretired ones: what a record of the resource holds


def located(record: Record, home: str, family: bool = False) -> list[Located]:
    """The image (in `home`) and its copies, for the usage lookup. `family`: a launch configuration naming the image's
    family counts too (for an image nothing newer replaces, unless it is deprecated)."""
    by_family = record.get("image_family") if family and not record.get("deprecated") else None
    copies = [Located(region, copy_id, by_family) for region, copy_id in (record.get("copies") or {}).items()]
    return [Located(home, str(record["image_id"]), by_family), *copies]


class Retention:
    def __init__(self, images: ImageService, regions: Regions, distributor: Distributor, usage: Usage, warn: Reporter) -> None:
        self._images = images
        self._regions = regions
        self._distributor = distributor
        self._usage = usage
        self._warn = warn

    def versions(self, owner: Owner, deadline: Deadline) -> Versions:
        retired, current = [], []
        for image in self._regions.home.api.images_tagged({OWNER_TAG_KEY: owner.tag}, deadline):
            tags = bound_tags(image)
            if RETIRED_TAG_KEY in tags:
                retired.append(Version(image, *retired_facts(tags[RETIRED_TAG_KEY])))
            elif CLAIM_TAG_KEY in tags:
                current.append(str(image["ImageId"]))
        retired.sort(key=lambda version: (version.retired_at, version.image.get("CreatedTime") or ""), reverse=True)
        return Versions(retired, current)

    def retire(self, record: Record, ref: ImageRef, deadline: Deadline) -> None:
        """Set the image and its copies aside: renamed `<name>-retired-<UTC>-<id>`, deprecated, tagged retired (the
        image with the regions of its copies)."""
        now, image_id = time.time(), str(record["image_id"])
        old, name = ref.identified(image_id), retired_name(str(record.get("image_name")), now, image_id)
        with translated("ModifyImageAttribute", old, REPLACED_NEXT):
            self._distributor.rename_all(image_id, record, name, True, old, deadline)
            # The owner mark too: an image made before 0.3.0 lacks it, and versions are found by it.
            on_image = {RETIRED_TAG_KEY: retired_value(now, record.get("copies") or {}), OWNER_TAG_KEY: Owner.of(ref).tag}
            self._distributor.tag_all(image_id, record, {RETIRED_TAG_KEY: retired_value(now)}, [], deadline, on_image)

    def reinstate(self, record: Record, name: str, deprecated: bool, ref: ImageRef, deadline: Deadline) -> None:
        """The opposite of retire: the image and its copies named `name` (the record's description), deprecated as
        asked, no longer tagged retired."""
        image_id = str(record["image_id"])
        self._distributor.rename_all(image_id, record, name, deprecated, ref.identified(image_id), deadline)
        self._distributor.tag_all(image_id, record, {}, [RETIRED_TAG_KEY], deadline)

    def restore(self, record: Record, ref: ImageRef) -> str:
        """Give a retired image (a replacement's predecessor) its name back; the sentence that says how that went."""
        image_id, name = str(record["image_id"]), str(record.get("image_name"))
        try:
            self.reinstate(record, name, bool(record.get("deprecated")), ref, Deadline.after(RESTORE_DEADLINE_SECONDS))
        except Exception as exc:  # noqa: BLE001 - the create's own failure is the one to report
            return (
                f"The image it replaces, {image_id}, is still named as retired ({type(exc).__name__}); the next "
                "`pulumi up` replaces it again."
            )
        return f"The image it replaces, {image_id}, has its name '{name}' back and is unchanged."

    def record_of(self, version: Version, like: Record, deadline: Deadline) -> Record:
        """A retired version as a record would hold it: its live attributes and its copies (found by their copy-of tag
        in the regions its retired tag names); shares and snapshots as the resource declares them (`like`)."""
        copies = {}
        for region in version.regions:
            found = self._regions[region].api.images_tagged({COPY_OF_TAG_KEY: version.image_id}, deadline)
            if found:
                copies[region] = str(found[0]["ImageId"])
        image = version.image
        return {
            "image_id": version.image_id, "image_name": image.get("ImageName"),
            "image_description": image.get("ImageDescription") or None, "image_family": image.get("ImageFamily") or None,
            "deprecated": bool(image.get("ImageDeprecated")), "created_time": image.get("CreatedTime"),
            "instance_id": marker_of(image), "copies": copies, "copy_to_regions": sorted(copies),
            **{key: like.get(key) for key in ("share_with_accounts", "share_copies", "delete_bound_snapshots")},
        }

    def settle(self, inputs: ImageInputs, current_id: str, pending: Record | None, ref: ImageRef, deadline: Deadline) -> list[str]:
        """Keep the newest keep_previous retired versions and delete the older ones, unless something launches from
        them (they stay, beyond the count, with a warning). `pending`: the image a replacement replaces, which the
        engine's Delete of its record retires or deletes next: counted as the newest, never deleted here. Returns
        the retained ids, newest first (an in-use `pending` beyond the count included: its Delete will keep it)."""
        like, keep = inputs.model_dump(), inputs.keep_previous
        skip = {current_id, pending["image_id"] if pending else None}
        retired = [version for version in self.versions(Owner.of(ref), deadline).retired if version.image_id not in skip]
        ordered: list[Version | Record] = ([pending] if pending else []) + retired
        beyond = {_id(item): item if isinstance(item, dict) else self.record_of(item, like, deadline) for item in ordered[keep:]}
        used = {} if inputs.delete_in_use or not beyond else self._in_use(list(beyond.values()), deadline)
        for image_id, record in beyond.items():
            if record is pending:
                continue
            if image_id in used:
                self._warn(ref.urn, _KEPT.format(image=image_id, of=ref.describe(), keep=keep, users="; ".join(used[image_id])))
            else:
                self.discard(record, ref.identified(image_id), deadline)
        return [_id(item) for item in ordered[:keep]] + [image_id for image_id in beyond if image_id in used]

    def supersede(self, record: Record, policy: Policy, retired: bool, ref: ImageRef, deadline: Deadline) -> None:
        """The image a replacement replaced, once its successor exists: retired (kept) with keep_previous > 0, else
        deleted unless something launches from it (then retired, beyond the count, with a warning). `retired`: it
        is retired already (a replacement that kept the name swapped names with it)."""
        used = {} if policy.keep > 0 or policy.delete_in_use else self._in_use([record], deadline)
        if policy.keep == 0 and not used:
            self.discard(record, ref, deadline)
            return
        if not retired:
            self.retire(record, ref, deadline)
        if used:
            image_id = str(record["image_id"])
            self._warn(ref.urn, _KEPT.format(image=image_id, of=ref.describe(), keep=policy.keep, users="; ".join(used[image_id])))

    def destroy(self, record: Record, retired: list[Version], ref: ImageRef, deadline: Deadline) -> None:
        """The resource's image and every retained version, with their copies; none of them while something launches
        from any of them (unless delete_in_use)."""
        records = [record] + [self.record_of(version, record, deadline) for version in retired]
        if not record.get("delete_in_use"):
            images = [image for each in records for image in located(each, self._home, family=each is record)]
            used = self._usage.in_use(images, deadline)
            if used:
                raise destroy_in_use(ref, lines(used), total=len(images))
        for each in records[1:] + records[:1]:  # the current image last: a destroy cut short is resumed
            self.discard(each, ref.identified(str(each["image_id"])), deadline)

    def discard(self, record: Record, ref: ImageRef, deadline: Deadline) -> None:
        """Delete the image and its copies (unshared first), with no usage lookup."""
        image = {"ImageId": record["image_id"], "CreatedTime": record.get("created_time")}
        self._distributor.remove(image, record, ref, deadline)
        self._images.delete(str(record["image_id"]), bool(record.get("delete_bound_snapshots")), ref, deadline)

    def _in_use(self, records: list[Record], deadline: Deadline) -> dict[str, list[str]]:
        """The records something launches from (the image or a copy): image id -> what launches from what."""
        owner = {image: str(record["image_id"]) for record in records for image in located(record, self._home)}
        found: dict[str, list[str]] = defaultdict(list)
        for image, users in self._usage.in_use(owner, deadline).items():
            found[owner[image]] += lines({image: users})
        return dict(found)

    @property
    def _home(self) -> str:
        return self._regions.home.api.region


def _id(item: Version | Record) -> str:
    return item.image_id if isinstance(item, Version) else str(item["image_id"])


_KEPT = (
    "Image {image}, a previous version of {of}, stays retired beyond keep_previous ({keep}): something still launches "
    "from it ({users}). The first `pulumi up` after nothing launches from it deletes it (run `pulumi refresh` first "
    "if previous_image_ids does not list it)."
)
