"""Promotion: a stack takes another stack's tested images (through a StackReference) instead of baking its own."""

from typing import Any

import pulumi

from .model.inputs import IMAGE_ID
from .stack_config import PromotionArgs


def promoted_image_ids(promotion: PromotionArgs) -> dict[str, pulumi.Output[str]]:
    """Image name -> the image id the source stack exports for it, read from its `output` export."""
    source = pulumi.StackReference(promotion.from_stack)
    exported = source.require_output(promotion.output)
    return {name: exported.apply(lambda ids, name=name: _image_id(ids, name, promotion)) for name in promotion.images}


def _image_id(exported: Any, name: str, promotion: PromotionArgs) -> str:
    image_id = exported.get(name) if isinstance(exported, dict) else None
    if promotion.region is not None:  # {name: {region: copy id}}: the copy made for this stack's region
        image_id = image_id.get(promotion.region) if isinstance(image_id, dict) else None
    if not isinstance(image_id, str) or not IMAGE_ID.match(image_id):
        where = f"`{promotion.output}`" + (f" for region {promotion.region}" if promotion.region else "")
        raise pulumi.RunError(
            f"Cannot promote image {name!r}: stack {promotion.from_stack} exports no image id for it in {where} "
            f"(found {image_id!r}). Run `pulumi up` on {promotion.from_stack} first"
            + (f" with {promotion.region} in the image's copyToRegions" if promotion.region else "")
            + ", or fix `cvm-images:promote` (its `output`, `images` and `region`)."
        )
    return image_id
