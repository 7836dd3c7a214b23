"""GoldenImage: one image together with the instance it is made from (an existing one, or a builder it owns)."""

import pulumi
import tencentcloud_iac_pulumi as tencentcloud

from .model.inputs import INPUT_KEYS
from .resource import CvmImage, CvmImageArgs
from .stack_config import GoldenImageArgs

# GoldenImageArgs carries every CvmImage input under the same name; the instance comes from the args or the builder.
_IMAGE_FIELDS = set(INPUT_KEYS) - {"instance_id"}


class GoldenImage(pulumi.ComponentResource):
    """A builder instance (when the args have one) and the CvmImage made from it, as children of one component."""

    image_id: pulumi.Output[str]
    instance_id: pulumi.Output[str]
    copies: pulumi.Output[dict[str, str]]  # region -> id of the image's copy there (copy_to_regions)
    previous_image_ids: pulumi.Output[list[str]]  # the retained versions, newest first (keep_previous)

    def __init__(self, name: str, args: GoldenImageArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("cvm-images:index:GoldenImage", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        instance_id: pulumi.Input[str] = args.instance_id or _builder(f"{name}-builder", args, child).id
        image_args = CvmImageArgs(instance_id=instance_id, **args.model_dump(include=_IMAGE_FIELDS))
        image = CvmImage(f"{name}-image", image_args, child)
        self.image_id = image.image_id
        self.instance_id = pulumi.Output.from_input(instance_id)
        self.copies = image.copies
        self.previous_image_ids = image.previous_image_ids
        self.register_outputs({
            "image_id": self.image_id, "instance_id": self.instance_id, "copies": self.copies,
            "previous_image_ids": self.previous_image_ids,
        })


def _builder(name: str, args: GoldenImageArgs, opts: pulumi.ResourceOptions) -> tencentcloud.instance.Instance:
    """The builder instance, tagged like its image so that its cost and owner are as clear."""
    builder = args.builder
    assert builder is not None  # GoldenImageArgs holds instance_id xor builder
    return tencentcloud.instance.Instance(
        name,
        image_id=builder.image_id,
        instance_type=builder.instance_type,
        availability_zone=builder.availability_zone,
        instance_name=builder.instance_name or name,
        vpc_id=builder.vpc_id,
        subnet_id=builder.subnet_id,
        orderly_security_groups=builder.security_groups,
        system_disk_type=builder.system_disk_type,
        system_disk_size=builder.system_disk_size,
        user_data_raw=builder.user_data,
        tags=args.tags,
        opts=_builder_options(args, opts),
    )


def _builder_options(args: GoldenImageArgs, opts: pulumi.ResourceOptions) -> pulumi.ResourceOptions:
    """A builder that powers itself off stays off: after a refresh its running_flag reads false, and the declared
    default (true) would otherwise start it again."""
    if not args.wait_for_poweroff:
        return opts
    return pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(ignore_changes=["running_flag"]))
