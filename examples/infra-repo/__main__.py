"""A consumer's program: one CvmImage of an existing instance, from the installed cvm-images package."""

import pulumi

from cvm_images import CvmImage, CvmImageArgs

config = pulumi.Config()
image = CvmImage(
    "web-image",
    CvmImageArgs(
        instance_id=config.require("instanceId"),
        image_name=config.require("imageName"),
        image_description="web tier, built by infra-repo",
        force_poweroff=True,
        tags={"team": "infra"},
    ),
)
pulumi.export("image_id", image.id)
