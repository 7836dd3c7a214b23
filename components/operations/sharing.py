"""Who an image is shared with (ModifyImageSharePermission). A shared image can be neither modified nor deleted, so
every change that needs it runs inside `unshared`, which takes the shares away and gives the declared ones back."""

from collections.abc import Iterator
from contextlib import contextmanager

from ..cloud.client import CvmApi
from ..cloud.retry import Deadline, tolerating

SHARE = "SHARE"
CANCEL = "CANCEL"
SHARE_BATCH = 500  # ModifyImageSharePermission's limit of accounts a request


def reshare(api: CvmApi, image_id: str, old: list[str], new: list[str], deadline: Deadline) -> None:
    """Share with the accounts added to the list, cancel the ones removed from it."""
    _cancel(api, image_id, [account for account in old if account not in new], deadline)
    _share(api, image_id, [account for account in new if account not in old], deadline)


def unshare_all(api: CvmApi, image_id: str, deadline: Deadline) -> None:
    """Cancel every share the image has now (also ones made outside the stack, which would block its deletion)."""
    _cancel(api, image_id, api.shared_accounts(image_id, deadline), deadline)


@contextmanager
def unshared(api: CvmApi, image_id: str, accounts: list[str], deadline: Deadline) -> Iterator[None]:
    """The image without shares for the body, then shared with `accounts` (the ones it is to keep)."""
    live = api.shared_accounts(image_id, deadline)
    _cancel(api, image_id, live, deadline)
    yield
    _share(api, image_id, accounts, deadline)


def _share(api: CvmApi, image_id: str, accounts: list[str], deadline: Deadline) -> None:
    for start in range(0, len(accounts), SHARE_BATCH):
        batch = accounts[start : start + SHARE_BATCH]
        # A retry after a lost answer (or a share made by hand) finds some accounts already there: share the rest.
        with tolerating("FailedOperation.AccountAlreadyExists") as refused:
            api.share_image(image_id, batch, SHARE, deadline)
        if refused.code:
            _share_each(api, image_id, batch, deadline)


def _share_each(api: CvmApi, image_id: str, accounts: list[str], deadline: Deadline) -> None:
    missing = [account for account in accounts if account not in api.shared_accounts(image_id, deadline)]
    if missing:
        api.share_image(image_id, missing, SHARE, deadline)


def _cancel(api: CvmApi, image_id: str, accounts: list[str], deadline: Deadline) -> None:
    """CANCEL of an account the image is not shared with is a no-op, so a repeat is harmless."""
    for start in range(0, len(accounts), SHARE_BATCH):
        api.share_image(image_id, accounts[start : start + SHARE_BATCH], CANCEL, deadline)
