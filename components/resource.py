"""CvmImage: a CVM custom image made from an instance's disks with CreateImage."""

import pickle
from dataclasses import dataclass, fields, replace

import pulumi
import pulumi.dynamic

from .model.inputs import DEFAULT_WAIT_TIMEOUT_MINUTES, OUTPUT_KEYS
from .provider import CvmImageProvider


@dataclass
class CvmImageArgs:
    """Inputs of a CvmImage; see the README's config reference and diff table."""

    instance_id: pulumi.Input[str]
    image_name: pulumi.Input[str]
    image_description: pulumi.Input[str] | None = None
    force_poweroff: pulumi.Input[bool] | None = None
    sysprep: pulumi.Input[bool] | None = None
    reboot: pulumi.Input[bool] | None = None
    live_image: pulumi.Input[bool] | None = None
    data_disk_ids: pulumi.Input[list[str]] | None = None
    tags: pulumi.Input[dict[str, str]] | None = None
    delete_bound_snapshots: pulumi.Input[bool] = False
    wait_timeout_minutes: pulumi.Input[float] = DEFAULT_WAIT_TIMEOUT_MINUTES
    adopt_image: pulumi.Input[str] | None = None
    wait_for_poweroff: pulumi.Input[bool] | None = None
    copy_to_regions: pulumi.Input[list[str]] | None = None
    share_with_accounts: pulumi.Input[list[str]] | None = None
    share_copies: pulumi.Input[bool] | None = None
    image_family: pulumi.Input[str] | None = None
    deprecated: pulumi.Input[bool] | None = None
    keep_previous: pulumi.Input[int] = 0
    rollback_to: pulumi.Input[str] | None = None
    delete_in_use: pulumi.Input[bool] = False


# pulumi.dynamic's serialize_provider patches these pickle._Pickler methods on every call and never restores them:
# each patch wraps the last, so a program declaring about a thousand dynamic resources dies of RecursionError.
_PICKLER_METHODS = {name: getattr(pickle._Pickler, name) for name in ("_batch_setitems", "save_dict")}


class CvmImage(pulumi.dynamic.Resource, module="cvm", name="Image"):
    """A custom image; its id is the image id (img-...)."""

    instance_id: pulumi.Output[str]
    image_name: pulumi.Output[str]
    image_description: pulumi.Output[str | None]
    data_disk_ids: pulumi.Output[list[str] | None]
    tags: pulumi.Output[dict[str, str] | None]
    image_id: pulumi.Output[str]
    image_state: pulumi.Output[str]
    request_id: pulumi.Output[str | None]
    created_time: pulumi.Output[str]
    image_size: pulumi.Output[int]
    os_name: pulumi.Output[str]
    platform: pulumi.Output[str]
    architecture: pulumi.Output[str]
    snapshot_ids: pulumi.Output[list[str]]
    copies: pulumi.Output[dict[str, str]]  # region -> id of the image's copy there
    claim: pulumi.Output[str]  # the token this resource's record holds on the image (README: Adopting existing images)
    previous_image_ids: pulumi.Output[list[str]]  # the retained versions, newest first (README: Versions and rollback)

    def __init__(self, resource_name: str, args: CvmImageArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        args, opts = _import_as_adoption(args, opts)
        # Not dataclasses.asdict: it deep-copies values, and Outputs must be passed as they are.
        inputs = {f.name: getattr(args, f.name) for f in fields(args) if getattr(args, f.name) is not None}
        props = {**inputs, **{key: None for key in OUTPUT_KEYS}}
        try:
            super().__init__(CvmImageProvider(), resource_name, props, opts)
        finally:
            for name, method in _PICKLER_METHODS.items():
                setattr(pickle._Pickler, name, method)


def _import_as_adoption(
    args: CvmImageArgs, opts: pulumi.ResourceOptions | None
) -> tuple[CvmImageArgs, pulumi.ResourceOptions | None]:
    """`import_=<image>` is taken as `adopt_image=<image>`: the engine's import Read carries no provider for a dynamic
    resource (pulumi/pulumi#16175), while a create that adopts the image takes it over (README: Adopting existing
    images). Removing `import_` afterwards changes nothing, as with adopt_image."""
    if opts is None or not opts.import_:
        return args, opts
    adopted = args if args.adopt_image is not None else replace(args, adopt_image=opts.import_)
    without_import = pulumi.ResourceOptions.merge(opts, None)
    without_import.import_ = None
    return adopted, without_import
