"""latest_image: the newest image of a family, for instance definitions that should follow a golden-image pipeline.

    from components.families import latest_image
    image = latest_image("web", "ap-shanghai")  # credentials from TENCENTCLOUD_SECRET_ID / TENCENTCLOUD_SECRET_KEY
    tencentcloud.instance.Instance("web", image_id=image["ImageId"], ...)

It runs when the program runs (preview included), so a new image of the family is picked up by the next `pulumi up`.
"""

from .cloud.client import CvmApi, Image
from .cloud.errors import ImageRef, translate
from .cloud.retry import Deadline
from .cloud.settings import ENDPOINT, REGION, resolve_settings
from .cloud.sources import SECRET_ID, SECRET_KEY

LOOKUP_DEADLINE_SECONDS = 60.0


def latest_image(
    family: str, region: str, *, secret_id: str | None = None, secret_key: str | None = None, endpoint: str | None = None
) -> Image | None:
    """DescribeImageFromFamily: the family's newest NORMAL, non-deprecated image in `region` (DescribeImages' item), or
    None when it has none. Copies keep their source's family, so each region has its own newest image.

    Credentials and endpoint default to the environment, like the provider's.
    """
    given = {SECRET_ID[0]: secret_id, SECRET_KEY[0]: secret_key, ENDPOINT[0]: endpoint, REGION[0]: region}
    api = CvmApi(resolve_settings({key: value for key, value in given.items() if value}))
    try:
        return api.image_from_family(family, Deadline.after(LOOKUP_DEADLINE_SECONDS))
    except Exception as exc:  # noqa: BLE001 - the translator decides what each failure means
        raise translate(exc, "DescribeImageFromFamily", ImageRef(image_name=f"family {family!r}", region=region)) from None
