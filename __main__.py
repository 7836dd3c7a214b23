"""The stack: one GoldenImage per entry of the `cvm-images:images` stack config, plus the images `cvm-images:promote`
takes from another stack; exports the image ids."""

import pulumi

from components import GoldenImage
from components.promotion import promoted_image_ids
from components.stack_config import StackConfigError, parse_images, parse_promotion

config = pulumi.Config()
try:
    promotion = parse_promotion(config.get_object("promote"))
    images = parse_images(config.get_object("images"), promotion.images if promotion else ())
except StackConfigError as err:
    raise pulumi.RunError(str(err)) from None

golden = {spec.name: GoldenImage(spec.name, spec) for spec in images}
promoted = promoted_image_ids(promotion) if promotion else {}
pulumi.export("image_ids", {**{name: image.image_id for name, image in golden.items()}, **promoted})
pulumi.export("instance_ids", {name: image.instance_id for name, image in golden.items()})
# Each baked image's copies (copyToRegions) by region: {name: {region: image id}}.
pulumi.export("image_copies", {name: image.copies for name, image in golden.items()})
