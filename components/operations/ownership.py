"""Who made an image. Every image (and copy) the provider makes carries the resource that made it, and, once its create
has finished, the claim its record in the stack holds on it; an image is taken over or deleted only on that proof.

- `pulumi-cvm-image:owner` = `<project>/<stack>/<hash of the resource's URN>`: the resource. Set at CreateImage (its
  TagSpecification), so an interrupted attempt is recognised too.
- `pulumi-cvm-image:claim` = a fresh token when a create (or a takeover) finishes; the resource's outputs record it as
  `claim`. A later record that takes the image over writes a new token, so a delete that comes with an older record
  (the replaced resource of `pulumi up --replace`) can tell that the image is no longer its to delete.
- `pulumi-cvm-image:instance-id` (facts.MARKER_TAG_KEY): the instance, as versions up to 0.2.0 marked their images.
"""

import hashlib
import re
import uuid
from dataclasses import dataclass
from enum import Enum

from ..cloud.client import Image
from ..cloud.errors import ImageRef
from ..model.inputs import ImageInputs
from .facts import CLAIM_TAG_KEY, MARKER_TAG_KEY, OWNER_TAG_KEY, bound_tags

URN_HASH_LENGTH = 16
# Tag values allow letters, digits and a few signs; project and stack names are letters, digits, '-', '_' and '.'.
_NOT_IN_TAG_VALUES = re.compile(r"[^A-Za-z0-9._-]")
RESOURCE_TYPE = "pulumi-python:dynamic/cvm:Image"


@dataclass(frozen=True)
class Owner:
    """The resource an operation serves: `<project>/<stack>` and the hash of its URN."""

    stack: str
    resource: str

    @classmethod
    def of(cls, ref: ImageRef) -> "Owner":
        """The resource whose request `ref` serves, from its URN; without an engine (direct calls in tests) a URN made
        of the image name stands in."""
        urn = ref.urn or f"urn:pulumi:local::local::{RESOURCE_TYPE}::{ref.image_name}"
        head, project = urn.split("::")[:2]
        stack = head.rsplit(":", 1)[-1]
        digest = hashlib.sha256(urn.encode("utf-8")).hexdigest()[:URN_HASH_LENGTH]
        return cls(stack=f"{_NOT_IN_TAG_VALUES.sub('-', project)}/{_NOT_IN_TAG_VALUES.sub('-', stack)}", resource=digest)

    @property
    def tag(self) -> str:
        return f"{self.stack}/{self.resource}"


class Maker(Enum):
    """Who made an image found holding a name, as far as its tags can prove."""

    THIS_RESOURCE = "this resource"
    THIS_RESOURCE_ELSEWHERE = "this resource from another instance"
    SAME_STACK = "another resource of this stack"
    OTHER_STACK = "another stack"
    EARLIER_VERSION = "an earlier version of this provider"
    NOT_OURS = "nothing of this provider"


def marks(inputs: ImageInputs, me: Owner) -> dict[str, str]:
    """The tags the provider puts on an image it makes (the claim comes when the create finishes)."""
    return {MARKER_TAG_KEY: inputs.instance_id, OWNER_TAG_KEY: me.tag}


def owner_tag(image: Image) -> str | None:
    return bound_tags(image).get(OWNER_TAG_KEY)


def claim_of(image: Image) -> str | None:
    """The claim a finished create left on the image (None: its create never finished, or made before 0.3.0)."""
    return bound_tags(image).get(CLAIM_TAG_KEY)


def new_claim() -> str:
    return uuid.uuid4().hex[:16]


def made_by(image: Image, me: Owner, instance_id: str | None) -> Maker:
    """Who made `image`, for the resource `me` that images `instance_id`: only an image of this resource made from
    this instance is this resource's to take over."""
    owner = owner_tag(image)
    if owner == me.tag:
        return Maker.THIS_RESOURCE if bound_tags(image).get(MARKER_TAG_KEY) == instance_id else Maker.THIS_RESOURCE_ELSEWHERE
    if owner is not None:
        return Maker.SAME_STACK if owner.rsplit("/", 1)[0] == me.stack else Maker.OTHER_STACK
    return Maker.EARLIER_VERSION if MARKER_TAG_KEY in bound_tags(image) else Maker.NOT_OURS


def maker_text(image: Image, me: Owner, instance_id: str | None) -> str:
    """Who made it, for a message: names the other stack or instance; says why an earlier version's image is not proof."""
    maker = made_by(image, me, instance_id)
    if maker is Maker.THIS_RESOURCE_ELSEWHERE:
        return f"made by this resource from instance {bound_tags(image).get(MARKER_TAG_KEY)}, not from {instance_id}"
    if maker is Maker.OTHER_STACK:
        return f"made by stack {(owner_tag(image) or '').rsplit('/', 1)[0]}"
    if maker is Maker.EARLIER_VERSION:
        return (
            f"made by an earlier version of this provider from instance {bound_tags(image).get(MARKER_TAG_KEY)}, whose "
            "marks do not say which resource made it"
        )
    return f"made by {maker.value}"
