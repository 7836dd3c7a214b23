"""Image sharing with other accounts of the same region (a mixin of CvmBackend).

A shared image can be neither modified nor deleted until its sharing is cancelled (images.py refuses both).
"""

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .config import ACCOUNT_UIN
from .errors import ApiError, invalid
from .images import Image
from .timeline import iso_time

if TYPE_CHECKING:
    from .backend import Region

ACCOUNT_ID = re.compile(r"^[0-9]{5,20}$")  # main account ids are digits (12 in practice)
MAX_SHARED_ACCOUNTS = 500  # per image, and so per request
PERMISSIONS = ("SHARE", "CANCEL")


class SharingActions:
    # Provided by CvmBackend and the other mixins.
    clock: Callable[[], float]
    region: Callable[[str], "Region"]
    _private_image: Callable[["Region", str], Image]

    def modify_image_share_permission(
        self, region_name: str, image_id: str, account_ids: list[str], permission: str
    ) -> None:
        image = self._private_image(self.region(region_name), image_id)
        _check_request(account_ids, permission)
        if permission == "CANCEL":
            image.shared_with = [entry for entry in image.shared_with if entry["AccountId"] not in account_ids]
            return
        self._check_shareable(image, account_ids)
        created = iso_time(self.clock())
        image.shared_with += [{"AccountId": account_id, "CreatedTime": created} for account_id in account_ids]

    def _check_shareable(self, image: Image, account_ids: list[str]) -> None:
        if image.state(self.clock()) != "NORMAL":
            raise ApiError("InvalidParameterValue.InvalidImageState", f"Image `{image.image_id}` is not NORMAL.")
        if image.encrypted:
            raise ApiError(
                "UnsupportedOperation.EncryptedImagesNotSupported", f"Image `{image.image_id}` is encrypted."
            )
        shared = {entry["AccountId"] for entry in image.shared_with}
        if shared & set(account_ids):
            raise ApiError("FailedOperation.AccountAlreadyExists", "The image is already shared with that account.")
        if len(shared | set(account_ids)) > MAX_SHARED_ACCOUNTS:
            raise ApiError("OverQuota", f"An image can be shared with at most {MAX_SHARED_ACCOUNTS} accounts.")

    def describe_image_share_permission(self, region_name: str, image_id: str) -> list[dict[str, Any]]:
        image = self._private_image(self.region(region_name), image_id)
        return [dict(entry) for entry in image.shared_with]


def _check_request(account_ids: list[str], permission: str) -> None:
    if permission not in PERMISSIONS:
        raise ApiError("InvalidParameterValue", "`Permission` must be SHARE or CANCEL.")
    if not account_ids:
        raise invalid("AccountIds", "at least one account id")
    if len(account_ids) > MAX_SHARED_ACCOUNTS:
        raise ApiError("InvalidParameterValue.LimitExceeded", f"At most {MAX_SHARED_ACCOUNTS} accounts a request.")
    for account_id in account_ids:
        if not ACCOUNT_ID.match(account_id):
            raise ApiError("InvalidAccountId.NotFound", f"Account `{account_id}` is not found.")
        if account_id == ACCOUNT_UIN:
            raise ApiError("FailedOperation.AccountIsYourSelf", "An image cannot be shared with its own account.")
