"""GoldenImage: one image together with the instance it is made from (an existing one, or a builder it owns)."""

import pulumi
import tencentcloud_iac_pulumi as tencentcloud

from .resource import CvmImage, CvmImageArgs
from .stack_config import GoldenImageArgs


class GoldenImage(pulumi.ComponentResource):
    """A builder instance (when the args have one) and the CvmImage made from it, as children of one component."""

    image_id: pulumi.Output[str]
    instance_id: pulumi.Output[str]

    def __init__(self, name: str, args: GoldenImageArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("cvm-images:index:GoldenImage", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        instance_id: pulumi.Input[str] = args.instance_id or _builder(f"{name}-builder", args, child).id
        image = CvmImage(
            f"{name}-image",
            CvmImageArgs(
                instance_id=instance_id,
                image_name=args.image_name,
                image_description=args.description,
                force_poweroff=args.force_poweroff,
                sysprep=args.sysprep,
                reboot=args.reboot,
                data_disk_ids=args.data_disk_ids,
                tags=args.tags,
                delete_bound_snapshots=args.delete_bound_snapshots,
                wait_timeout_minutes=args.wait_timeout_minutes,
                adopt_image=args.adopt_image,
            ),
            child,
        )
        self.image_id = image.image_id
        self.instance_id = pulumi.Output.from_input(instance_id)
        self.register_outputs({"image_id": self.image_id, "instance_id": self.instance_id})


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
        user_data=builder.user_data,
        tags=args.tags,
        opts=opts,
    )
