"""diff: the whole table in the README ("What a change does"), and the detailed diff that `preview --json` shows."""

import pytest
from pulumi.runtime.rpc import UNKNOWN

from components import CvmImageProvider
from components.model.diff import diff_image

OLD = {
    "__provider": "old-code",
    "instance_id": "ins-abcd1234",
    "image_name": "web-base",
    "image_description": "golden web image",
    "force_poweroff": False,
    "sysprep": False,
    "reboot": True,
    "data_disk_ids": ["disk-aaaa1111", "disk-bbbb2222"],
    "tags": {"team": "infra"},
    "delete_bound_snapshots": False,
    "wait_timeout_minutes": 60.0,
    # outputs recorded beside the inputs
    "image_id": "img-abcd1234",
    "image_state": "NORMAL",
    "request_id": "req-1",
    "created_time": "2026-11-28T03:00:00Z",
}
INPUTS = {key: value for key, value in OLD.items() if key not in ("image_id", "image_state", "request_id", "created_time")}


def diff(**changes):
    return CvmImageProvider().diff("img-abcd1234", OLD, {**INPUTS, **changes})


def detailed(**changes):
    news = {**INPUTS, **changes}
    return diff_image(OLD, news, {key for key, value in news.items() if value == UNKNOWN}).detailed


def test_nothing_changed_is_no_change():
    result = diff()
    assert result.changes is False
    assert not result.replaces


def test_new_provider_code_alone_is_no_change():
    assert diff(__provider="new-code").changes is False


@pytest.mark.parametrize(
    "changes",
    [
        {"force_poweroff": True},
        {"sysprep": True},
        {"reboot": False},
        {"force_poweroff": True, "sysprep": True, "reboot": False},
        {"adopt_image": "img-abcd1234"},
        {"live_image": True},
        {"wait_for_poweroff": True},
        {"live_image": True, "force_poweroff": None, "reboot": None},
        {"wait_for_poweroff": True, "force_poweroff": None, "reboot": False},
    ],
)
def test_creation_only_settings_are_no_change(changes):
    assert diff(**changes).changes is False


@pytest.mark.parametrize(
    ("changes", "replaces"),
    [
        ({"instance_id": "ins-zzzz9999", "image_name": "web-base-v2"}, ["instance_id"]),
        ({"data_disk_ids": ["disk-aaaa1111"], "image_name": "web-base-v2"}, ["data_disk_ids"]),
        ({"instance_id": "ins-zzzz9999"}, ["instance_id"]),
        ({"data_disk_ids": ["disk-cccc3333"]}, ["data_disk_ids"]),
        ({"instance_id": UNKNOWN}, ["instance_id"]),
        ({"instance_id": "ins-zzzz9999", "image_name": UNKNOWN}, ["instance_id"]),
    ],
)
def test_a_replacement_creates_the_new_image_before_the_old_is_deleted(changes, replaces):
    """Whatever the name: one that keeps it is built under a pending name and swapped in (operations/lifecycle.py)."""
    result = diff(**changes)
    assert result.changes is True  # DIFF_SOME with the provider's detailed diff
    assert result.replaces == replaces
    assert result.delete_before_replace is False


def test_the_detailed_diff_marks_replacing_properties():
    assert detailed(instance_id="ins-zzzz9999", image_name="web-base-v2") == {
        "instance_id": "UPDATE_REPLACE", "image_name": "UPDATE",
    }
    assert detailed(data_disk_ids=None) == {"data_disk_ids": "DELETE_REPLACE"}
    assert detailed(instance_id=UNKNOWN) == {"instance_id": "UPDATE_REPLACE"}
    assert detailed(tags=None, image_description=None) == {"tags": "DELETE", "image_description": "DELETE"}
    assert detailed(delete_bound_snapshots=True) == {"delete_bound_snapshots": "UPDATE"}  # false is a value, not nothing
    assert detailed(copy_to_regions=["ap-shanghai"]) == {"copy_to_regions": "ADD"}
    assert diff_image({**OLD, "data_disk_ids": None}, {**INPUTS, "data_disk_ids": ["disk-aaaa1111"]}).detailed == {
        "data_disk_ids": "ADD_REPLACE"
    }


@pytest.mark.parametrize(
    "changes",
    [
        {"image_name": "web-base-v2"},
        {"image_description": "new words"},
        {"image_description": None},
        {"delete_bound_snapshots": True},
        {"wait_timeout_minutes": 90.0},
        {"image_name": UNKNOWN},
        {"tags": {"team": "platform"}},
        {"tags": None},
        {"tags": {"team": "platform"}, "image_name": "web-base-v2"},
    ],
)
def test_in_place_updates(changes):
    result = diff(**changes)
    assert result.changes is True
    assert result.replaces == []
    assert result.delete_before_replace is False


def test_empty_and_missing_collections_are_the_same():
    old = {**OLD, "data_disk_ids": [], "tags": {}, "image_description": ""}
    news = {key: value for key, value in INPUTS.items() if key not in ("data_disk_ids", "tags", "image_description")}
    assert CvmImageProvider().diff("img-abcd1234", old, news).changes is False


def test_data_disk_order_is_no_change():
    assert diff(data_disk_ids=["disk-bbbb2222", "disk-aaaa1111"]).changes is False


def test_diff_makes_no_api_call_and_needs_no_credentials():
    provider = CvmImageProvider()  # never configured: any API use would fail for lack of credentials
    assert provider.diff("img-abcd1234", OLD, {**INPUTS, "image_name": "renamed"}).changes is True
    assert provider._lifecycle is None


def test_a_rollback_to_another_image_replaces_the_image():
    result = diff(rollback_to="img-prev0001")
    assert result.changes is True and result.replaces == ["rollback_to"]
    assert detailed(rollback_to="img-prev0001") == {"rollback_to": "ADD_REPLACE"}


@pytest.mark.parametrize(
    ("recorded", "declared"),
    [
        ({}, "img-abcd1234"),  # naming the current image
        ({"rollback_to": "img-prev0001", "image_id": "img-prev0001"}, None),  # removed after the rollback
        ({"rollback_to": "img-prev0001", "image_id": "img-next0001"}, "img-prev0001"),  # left in place, a build since
    ],
)
def test_a_rollback_that_is_current_removed_or_already_done_changes_nothing(recorded, declared):
    olds = {**OLD, **recorded}
    news = {**INPUTS, "rollback_to": declared} if declared else INPUTS
    assert CvmImageProvider().diff(olds["image_id"], olds, news).changes is False


def test_more_versions_kept_than_keep_previous_is_an_update_that_prunes():
    olds = {**OLD, "keep_previous": 1, "previous_image_ids": ["img-prev0002", "img-prev0001"]}
    result = CvmImageProvider().diff("img-abcd1234", olds, {**INPUTS, "keep_previous": 1.0})
    assert result.changes is True and not result.replaces
    assert diff_image({**olds, "keep_previous": 2}, {**INPUTS, "keep_previous": 2}).changed == ()


def test_keep_previous_and_delete_in_use_at_their_defaults_are_no_change_for_a_state_without_them():
    assert diff(keep_previous=0, delete_in_use=False).changes is False
    assert diff(keep_previous=2).changes is True and not diff(keep_previous=2).replaces
