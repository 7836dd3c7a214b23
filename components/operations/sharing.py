"""Who an image is shared with (ModifyImageSharePermission). A shared image can be neither modified nor deleted, so
every change that needs it runs inside `unshared`, which takes the shares away and gives the declared ones back."""

from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial

from ..cloud.errors import ImageRef
from ..cloud.retry import SHARE_BUSY, Deadline, tolerating
from .regions import Region

SHARE = "SHARE"
CANCEL = "CANCEL"
SHARE_BATCH = 500  # ModifyImageSharePermission's limit of accounts a request


def reshare(where: Region, image_id: str, old: list[str], new: list[str], ref: ImageRef, deadline: Deadline) -> None:
    """Share with the accounts added to the list, cancel the ones removed from it."""
    _cancel(where, image_id, [account for account in old if account not in new], ref, deadline)
    _share(where, image_id, [account for account in new if account not in old], ref, deadline)


def unshare_all(where: Region, image_id: str, ref: ImageRef, deadline: Deadline) -> None:
    """Cancel every share the image has now (also ones made outside the stack, which would block its deletion)."""
    _cancel(where, image_id, where.api.shared_accounts(image_id, deadline), ref, deadline)


@contextmanager
def unshared(where: Region, image_id: str, accounts: list[str], ref: ImageRef, deadline: Deadline) -> Iterator[None]:
    """The image without shares for the body, then shared with `accounts` (the ones it is to keep)."""
    live = where.api.shared_accounts(image_id, deadline)
    _cancel(where, image_id, live, ref, deadline)
    yield
    _share(where, image_id, accounts, ref, deadline)


def _share(where: Region, image_id: str, accounts: list[str], ref: ImageRef, deadline: Deadline) -> None:
    for start in range(0, len(accounts), SHARE_BATCH):
        batch = accounts[start : start + SHARE_BATCH]
        # A retry after a lost answer (or a share made by hand) finds some accounts already there: share the rest.
        with tolerating("FailedOperation.AccountAlreadyExists") as refused:
            _permission(where, image_id, batch, SHARE, ref, deadline)
        if refused.code:
            _share_each(where, image_id, batch, ref, deadline)


def _share_each(where: Region, image_id: str, accounts: list[str], ref: ImageRef, deadline: Deadline) -> None:
    missing = [account for account in accounts if account not in where.api.shared_accounts(image_id, deadline)]
    if missing:
        _permission(where, image_id, missing, SHARE, ref, deadline)


def _cancel(where: Region, image_id: str, accounts: list[str], ref: ImageRef, deadline: Deadline) -> None:
    """CANCEL of an account the image is not shared with is a no-op, so a repeat is harmless."""
    for start in range(0, len(accounts), SHARE_BATCH):
        _permission(where, image_id, accounts[start : start + SHARE_BATCH], CANCEL, ref, deadline)


def _permission(where: Region, image_id: str, accounts: list[str], permission: str, ref: ImageRef, deadline: Deadline) -> None:
    """ModifyImageSharePermission, once more after the image has settled if it was busy (a copy being made from it)."""
    share = partial(where.api.share_image, image_id, accounts, permission, deadline)
    where.images.when_settled(image_id, ref, deadline, SHARE_BUSY, share)
