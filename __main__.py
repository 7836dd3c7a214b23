"""The stack: one GoldenImage per entry of the `cvm-images:images` stack config; exports the image ids."""

import pulumi

from components import GoldenImage
from components.stack_config import StackConfigError, parse_images

try:
    images = parse_images(pulumi.Config().get_object("images"))
except StackConfigError as err:
    raise pulumi.RunError(str(err)) from None

golden = {spec.name: GoldenImage(spec.name, spec) for spec in images}
pulumi.export("image_ids", {name: image.image_id for name, image in golden.items()})
pulumi.export("instance_ids", {name: image.instance_id for name, image in golden.items()})
