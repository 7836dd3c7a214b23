"""The limits check enforces, at their edges: account ids (5 to 20 digits, no leading zero), image families (60
characters) and the accounts an image is shared with (500, ModifyImageSharePermission's limit, which the emulator
keeps too: 500 accounts are really shared)."""

import pytest

from components import CvmImageProvider
from tests.components.conftest import images_in
from tests.components.emulator_helpers import STOPPED, calls, today_without_lags

PROVIDER = CvmImageProvider()  # check makes no API call
OWN_ACCOUNT = 100000000001  # the emulator's: every other id from here on is another account


def accounts(count: int) -> list[str]:
    return [str(OWN_ACCOUNT + 1 + n) for n in range(count)]


def failures(**props) -> list[tuple[str, str]]:
    result = PROVIDER.check({}, {"instance_id": STOPPED, "image_name": "gold", **props})
    return [(failure.property, failure.reason) for failure in result.failures]


@pytest.mark.parametrize(
    ("account", "accepted"),
    [
        ("10000", True),  # 5 digits
        ("1" + "0" * 19, True),  # 20 digits
        ("100000000002", True),  # a real-world 12-digit UIN
        ("1000", False),  # 4 digits
        ("1" * 21, False),  # 21 digits
        ("012345678901", False),  # a leading zero
    ],
)
def test_account_ids_are_5_to_20_digits_without_a_leading_zero(account, accepted):
    found = failures(share_with_accounts=[account])
    if accepted:
        assert found == []
    else:
        [(prop, reason)] = found
        assert prop == "share_with_accounts" and "5 to 20 digits" in reason and repr(account) in reason


@pytest.mark.parametrize(("length", "accepted"), [(1, True), (60, True), (61, False)])
def test_a_family_is_at_most_60_characters(length, accepted):
    found = failures(image_family="f" * length)
    assert found == ([] if accepted else [("image_family", "image_family must be 1 to 60 characters, got 61; shorten it")])


def test_at_most_500_accounts():
    assert failures(share_with_accounts=accounts(500)) == []
    too_many = ("share_with_accounts", "share_with_accounts may hold at most 500 accounts")
    assert failures(share_with_accounts=accounts(501)) == [too_many]


def test_an_image_is_shared_with_500_accounts(provider, checked, emulator):
    today_without_lags(emulator)

    created = provider.create(checked(instance_id=STOPPED, image_name="gold", share_with_accounts=accounts(500)))

    [image] = images_in(emulator)
    assert image["ImageId"] == created.id and sorted(image["SharedWith"]) == sorted(accounts(500))
    assert [len(r["params"]["AccountIds"]) for r in calls(emulator, "ModifyImageSharePermission")] == [500]
