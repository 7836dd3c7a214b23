"""Copies of an image in other regions (SyncImages): made, found again, waited for and deleted, one region at a time
through that region's API and poller."""

from functools import partial

from ..cloud.client import CvmApi, Image
from ..cloud.errors import CvmImageError, ImageRef
from ..cloud.refusals import name_taken, unknown_regions
from ..cloud.retry import SYNC_BUSY, Deadline, retrying, tolerating
from ..waiting.grace import look_again
from .facts import FAILED_STATES, MARKER_TAG_KEY, OWNER_TAG_KEY, VISIBILITY_GRACE_SECONDS, bound_tags, epoch, marker_of
from .ownership import Owner, maker_text
from .regions import Regions
from .sharing import unshare_all

# SyncImages copies no tags: the provider tags each copy with the marker and the id of the image it copies, so a copy
# whose SyncImages answer was lost (or that a failed run did not record) is found again by name and tags.
COPY_OF_TAG_KEY = "pulumi-cvm-image:copy-of"
# SyncImages' documented "image busy" answers: a copy being made from the image, the image itself being made (a failed
# image answers the last one for good).


class Copies:
    """The copies of one image: {region: copy image id}."""

    def __init__(self, regions: Regions) -> None:
        self._regions = regions

    def make(self, image: Image, instance_id: str, wanted: list[str], ref: ImageRef, deadline: Deadline) -> dict[str, str]:
        """A NORMAL, tagged copy in each wanted region (an earlier attempt's are taken over). A copy that fails is
        deleted and named in the error; the others are kept (tagged, so the next run finds them)."""
        self._check_regions(wanted, ref, deadline)
        copies = self._sync(image, instance_id, wanted, ref, deadline)
        failed = [region for region, copy_id in copies.items() if not self._settle(region, copy_id, image, instance_id, ref, deadline)]
        if failed:
            regions = ", ".join(sorted(failed))
            raise CvmImageError(
                f"SyncImages could not copy {ref.describe()} to {regions}: the copy there failed (CREATEFAILED) and was "
                "deleted. Check the image quota and the image in those regions, then run `pulumi up` again to copy it."
            )
        return copies

    def _check_regions(self, wanted: list[str], ref: ImageRef, deadline: Deadline) -> None:
        """Refuse, before SyncImages, a region the account does not have (preview checks only the names' form)."""
        available = self._regions.available(deadline)
        unknown = [region for region in wanted if available is not None and region not in available]
        if unknown:
            raise unknown_regions(ref, unknown, available or [])

    def find(self, image: Image, instance_id: str, regions: list[str], ref: ImageRef, deadline: Deadline, patient: bool = False) -> dict[str, str]:
        """The copies of this image that exist in `regions`, found by name and tags."""
        found: dict[str, str] = {}
        for region in regions:
            if copy := self._find_one(image, instance_id, region, ref, deadline, patient):
                found[region] = copy["ImageId"]
        return found

    def delete(self, copies: dict[str, str], delete_snapshots: bool, ref: ImageRef, deadline: Deadline) -> None:
        """Unshare and delete each copy (a shared image cannot be deleted); one already gone counts as deleted."""
        for region, copy_id in sorted(copies.items()):
            where = self._regions[region]
            if _exists(where.api, copy_id, deadline):
                unshare_all(where, copy_id, ref.elsewhere(region, copy_id), deadline)
            where.images.delete(copy_id, delete_snapshots, ref.elsewhere(region, copy_id), deadline)

    def _sync(self, image: Image, instance_id: str, wanted: list[str], ref: ImageRef, deadline: Deadline) -> dict[str, str]:
        copies = self.find(image, instance_id, wanted, ref, deadline)
        for attempt in retrying(deadline):
            with attempt:
                missing = [region for region in wanted if region not in copies]
                if attempt.retry_state.attempt_number > 1:  # a lost answer may have made them: wait for it, look again
                    self._regions.home.images.wait_not_syncing(image["ImageId"], ref, deadline)
                    copies.update(self.find(image, instance_id, missing, ref, deadline, patient=True))
                    missing = [region for region in wanted if region not in copies]
                if missing:
                    copies.update(self._sync_once(image, instance_id, missing, ref, deadline))
        return copies

    def _sync_once(self, image: Image, instance_id: str, regions: list[str], ref: ImageRef, deadline: Deadline) -> dict[str, str]:
        """SyncImages to `regions`, once more after the image has settled if it was busy; the copies, by region. A copy
        the answer does not list (it may answer `ImageSet: []`) is looked for by name."""
        sync = partial(self._sync_new, image, instance_id, regions, ref, deadline)
        made = self._regions.home.images.when_settled(image["ImageId"], ref, deadline, SYNC_BUSY, sync)
        unlisted = [region for region in regions if region not in made]
        if unlisted:
            made.update(self.find(image, instance_id, unlisted, ref, deadline, patient=True))
        if missing := [region for region in regions if region not in made]:
            raise CvmImageError(
                f"SyncImages accepted {ref.describe()} for {', '.join(missing)}, but no copy appeared there within "
                f"{VISIBILITY_GRACE_SECONDS:.0f} s. Run `pulumi up` again: it finds the copies by name and tags."
            )
        return made

    def _sync_new(self, image: Image, instance_id: str, regions: list[str], ref: ImageRef, deadline: Deadline) -> dict[str, str]:
        home = self._regions.home
        with tolerating("InvalidImageName.Duplicate"):
            return home.api.sync_image(image["ImageId"], regions, ref.image_name)
        # Refused: an earlier attempt's copies (not yet visible) hold the names, or are still being made.
        home.images.wait_not_syncing(image["ImageId"], ref, deadline)
        found = self.find(image, instance_id, regions, ref, deadline, patient=True)
        rest = [region for region in regions if region not in found]
        return {**found, **(home.api.sync_image(image["ImageId"], rest, ref.image_name) if rest else {})}

    def _find_one(self, image: Image, instance_id: str, region: str, ref: ImageRef, deadline: Deadline, patient: bool) -> Image | None:
        api = self._regions[region].api

        def look() -> list[Image] | None:
            return api.images_named(ref.image_name, deadline) or (None if patient else [])

        holders = look_again(look, VISIBILITY_GRACE_SECONDS, deadline) or []
        for candidate in holders:
            if not _is_copy_of(candidate, image, instance_id):
                made_by = maker_text(candidate, Owner.of(ref), ref.instance_id)
                raise name_taken(ref.elsewhere(region), candidate["ImageId"], candidate.get("ImageState"), made_by, region)
            return candidate
        return None

    def _settle(self, region: str, copy_id: str, image: Image, instance_id: str, ref: ImageRef, deadline: Deadline) -> bool:
        """Wait for the copy; tag it when NORMAL (True), delete it when it failed (False)."""
        where = self._regions[region]
        here = ref.elsewhere(region, copy_id)
        copy = where.images.wait_built(copy_id, here, deadline)
        if copy.get("ImageState") in FAILED_STATES:
            where.images.delete(copy_id, True, here, deadline)
            return False
        tags = {MARKER_TAG_KEY: instance_id, OWNER_TAG_KEY: Owner.of(ref).tag, COPY_OF_TAG_KEY: image["ImageId"]}
        if not bound_tags(copy).items() >= tags.items():
            where.api.tags.tag_image(copy_id, tags, deadline)
        return True


def _is_copy_of(candidate: Image, image: Image, instance_id: str) -> bool:
    """Tagged as this image's copy; or untagged (SyncImages copies no tags) and made after the image: a copy whose
    answer was lost, or that was not tagged yet."""
    tags = bound_tags(candidate)
    if tags:
        return marker_of(candidate) == instance_id and tags.get(COPY_OF_TAG_KEY) == image["ImageId"]
    made, source_made = epoch(candidate.get("CreatedTime")), epoch(image.get("CreatedTime"))
    return made is not None and source_made is not None and made >= source_made


def _exists(api: CvmApi, image_id: str, deadline: Deadline) -> bool:
    return image_id in api.describe_images([image_id], deadline)
