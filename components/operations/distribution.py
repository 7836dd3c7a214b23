"""Everything about an image beyond its build: its family and deprecation, its copies in other regions and the
accounts it (and, with share_copies, each copy) is shared with. No Pulumi types here."""

from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

from ..cloud.client import Image
from ..cloud.errors import DELETED_NEXT, READ_NEXT, ImageRef, translated
from ..cloud.refusals import copy_in_use
from ..cloud.retry import Deadline
from ..model.inputs import ImageInputs
from .copies import Copies
from .regions import Regions
from .sharing import reshare, unshare_all, unshared
from .usage import Located, Usage, lines

THEN = "The next `pulumi up` finishes it: copies already made are found again by name and tags."


@dataclass(frozen=True)
class Attributes:
    """What ModifyImageAttribute sets on an image and its copies."""

    name: str
    description: str
    family: str
    deprecated: bool

    @classmethod
    def of(cls, values: ImageInputs | dict[str, Any]) -> "Attributes":
        """From checked inputs, or from a resource's recorded outputs."""
        get = values.get if isinstance(values, dict) else lambda key: getattr(values, key)
        return cls(str(get("image_name")), get("image_description") or "", get("image_family") or "", bool(get("deprecated")))


@dataclass(frozen=True)
class Distribution:
    """What is declared (or recorded) about the image beyond its build."""

    family: str = ""
    deprecated: bool = False
    regions: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()
    share_copies: bool = False

    @classmethod
    def of(cls, values: ImageInputs | dict[str, Any]) -> "Distribution":
        """From checked inputs, or from a resource's recorded outputs."""
        get = values.get if isinstance(values, dict) else lambda key: getattr(values, key)
        return cls(
            family=get("image_family") or "",
            deprecated=bool(get("deprecated")),
            regions=tuple(get("copy_to_regions") or ()),
            accounts=tuple(get("share_with_accounts") or ()),
            share_copies=bool(get("share_copies")),
        )

    @property
    def copy_accounts(self) -> tuple[str, ...]:
        return self.accounts if self.share_copies else ()


class Distributor:
    def __init__(self, regions: Regions, usage: Usage) -> None:
        self._regions = regions
        self._copies = Copies(regions)
        self._usage = usage

    def converge(
        self, image: Image, inputs: ImageInputs, old: Distribution, copies: dict[str, str], rename: bool, ref: ImageRef, deadline: Deadline
    ) -> dict[str, str]:
        """Take the image from `old` to what `inputs` declare; the copies it has afterwards, by region.

        Order matters: a shared image can be neither renamed, re-familied nor deleted (so those run unshared), and
        copies keep the family the image has when they are made.
        """
        new = Distribution.of(inputs)
        kept = {region: copy_id for region, copy_id in copies.items() if region in new.regions}
        removed = {region: copy_id for region, copy_id in copies.items() if region not in kept}
        with translated("DeleteImages", ref, THEN):
            if removed and not inputs.delete_in_use:
                self._refuse_if_used(removed, ref, deadline)
            self._copies.delete(removed, inputs.delete_bound_snapshots, ref, deadline)
        refamily = (old.family, old.deprecated) != (new.family, new.deprecated)
        attributes = Attributes.of(inputs)
        with translated("ModifyImageAttribute/ModifyImageSharePermission", ref, THEN):
            self._modify(None, image["ImageId"], attributes, old.accounts, new.accounts, rename, refamily, ref, deadline)
            for region, copy_id in kept.items():
                self._modify(region, copy_id, attributes, old.copy_accounts, new.copy_accounts, rename, refamily, ref, deadline)
        missing = [region for region in new.regions if region not in kept]
        if not missing:
            return kept
        with translated("SyncImages", ref, THEN):
            made = self._copies.make(image, inputs.instance_id, missing, ref, deadline)
            for region, copy_id in made.items():
                self._modify(region, copy_id, attributes, (), new.copy_accounts, False, new.deprecated, ref, deadline)
        return {**kept, **made}

    def _refuse_if_used(self, copies: dict[str, str], ref: ImageRef, deadline: Deadline) -> None:
        used = self._usage.in_use([Located(region, copy_id) for region, copy_id in copies.items()], deadline)
        if used:
            raise copy_in_use(ref, lines(used))

    def rename_all(
        self, image_id: str, recorded: dict[str, Any], name: str, deprecated: bool, ref: ImageRef, deadline: Deadline
    ) -> None:
        """Give the image and its recorded copies `name` and this deprecation, one ModifyImageAttribute each, their
        shares kept (each is unshared for the call)."""
        description = recorded.get("image_description") or ""
        shared = Distribution.of(recorded)
        copies = [(region, copy_id, shared.copy_accounts) for region, copy_id in (recorded.get("copies") or {}).items()]
        for region, target, accounts in [(None, image_id, shared.accounts), *copies]:
            where = self._regions.home if region is None else self._regions[region]
            here = ref if region is None else ref.elsewhere(region, target)
            with unshared(where, target, list(accounts), here, deadline) if accounts else nullcontext():
                where.images.rename(target, name, description, here, deadline, deprecated)

    def tag_all(
        self, image_id: str, recorded: dict[str, Any], tags: dict[str, str], untag: list[str], deadline: Deadline,
        on_image: dict[str, str] | None = None,
    ) -> None:
        """Set `tags` on and remove `untag` from the image and its recorded copies (`on_image`: the image's tags
        instead, when they differ from its copies')."""
        targets = [(self._regions.home.api, image_id, tags if on_image is None else on_image)] + [
            (self._regions[region].api, copy_id, tags) for region, copy_id in (recorded.get("copies") or {}).items()
        ]
        for api, target, wanted in targets:
            if wanted:
                api.tags.tag_image(target, wanted, deadline)
            if untag:
                api.tags.untag_image(target, untag, deadline)

    def remove(self, image: Image, props: dict[str, Any], ref: ImageRef, deadline: Deadline) -> None:
        """Delete every copy (the recorded ones and any a failed run made without recording) and unshare the image,
        so that it can be deleted."""
        copies = dict(props.get("copies") or {})
        instance_id = str(props.get("instance_id") or "")
        unrecorded = [region for region in props.get("copy_to_regions") or [] if region not in copies]
        if not (copies or unrecorded or props.get("share_with_accounts")):
            return
        with translated("DeleteImages", ref, DELETED_NEXT):
            home = self._regions.home
            exists = image["ImageId"] in home.api.describe_images([image["ImageId"]], deadline)
            if unrecorded and exists:
                copies.update(self._copies.find(image, instance_id, unrecorded, ref, deadline))
            self._copies.delete(copies, bool(props.get("delete_bound_snapshots")), ref, deadline)
            if exists and props.get("share_with_accounts"):
                unshare_all(home, image["ImageId"], ref, deadline)

    def read(self, image: Image, recorded: dict[str, Any], ref: ImageRef, deadline: Deadline) -> dict[str, Any]:
        """The live family, deprecation, shares and copies, as inputs (and the `copies` output).

        Shares are read only where the stack manages them (`share_with_accounts` recorded): an image without shares
        costs no DescribeImageSharePermission call, and a refresh needs no permission for it.
        """
        copies: dict[str, str] = recorded.get("copies") or {}
        with translated("DescribeImageSharePermission", ref, READ_NEXT):
            managed = bool(recorded.get("share_with_accounts"))
            accounts = self._regions.home.api.shared_accounts(image["ImageId"], deadline) if managed else []
            live = {region: copy_id for region, copy_id in copies.items() if copy_id in self._regions[region].api.describe_images([copy_id], deadline)}
        return {
            "image_family": image.get("ImageFamily") or None,
            "deprecated": bool(image.get("ImageDeprecated")) or None,
            "share_with_accounts": accounts or None,
            "copy_to_regions": sorted(live) or None,
            "copies": live,
        }

    def _modify(
        self, region: str | None, image_id: str, attributes: Attributes, old_accounts: tuple[str, ...], accounts: tuple[str, ...],
        rename: bool, refamily: bool, ref: ImageRef, deadline: Deadline,
    ) -> None:
        """Rename and re-family one image (the source, or the copy in `region`) unshared, then share it as declared.

        An image whose shares the stack does not manage is left alone: a share made by hand makes the change fail
        with the translator's "unshare it first", rather than being silently taken away.
        """
        where = self._regions.home if region is None else self._regions[region]
        here = ref if region is None else ref.elsewhere(region, image_id)
        if not (rename or refamily):
            reshare(where, image_id, list(old_accounts), list(accounts), here, deadline)
            return
        with unshared(where, image_id, list(accounts), here, deadline) if old_accounts or accounts else nullcontext():
            if rename:
                where.images.rename(image_id, attributes.name, attributes.description, here, deadline)
            if refamily:
                where.api.set_family(image_id, attributes.family, attributes.deprecated, deadline)
