"""diff: the whole table in the README ("What a change does")."""

import pytest
from pulumi.runtime.rpc import UNKNOWN

from components import CvmImageProvider

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
    ],
)
def test_creation_only_settings_are_no_change(changes):
    assert diff(**changes).changes is False


@pytest.mark.parametrize(
    ("changes", "replaces"),
    [
        ({"instance_id": "ins-zzzz9999", "image_name": "web-base-v2"}, ["instance_id"]),
        ({"data_disk_ids": ["disk-aaaa1111"], "image_name": "web-base-v2"}, ["data_disk_ids"]),
    ],
)
def test_replacement_with_a_new_name_creates_before_deleting(changes, replaces):
    result = diff(**changes)
    assert result.changes is None  # DIFF_UNKNOWN: the engine renders the per-property diff
    assert result.replaces == replaces
    assert result.delete_before_replace is False


@pytest.mark.parametrize("key", ["instance_id", "data_disk_ids"])
def test_replacement_keeping_the_name_deletes_first(key):
    new_value = {"instance_id": "ins-zzzz9999", "data_disk_ids": ["disk-cccc3333"]}[key]
    result = diff(**{key: new_value})
    assert result.changes is None
    assert result.replaces == [key]
    assert result.delete_before_replace is True


def test_unknown_instance_in_preview_means_replace():
    result = diff(instance_id=UNKNOWN)
    assert result.changes is None
    assert result.replaces == ["instance_id"]
    assert result.delete_before_replace is True


def test_unknown_name_on_replace_is_treated_as_possibly_the_same():
    result = diff(instance_id="ins-zzzz9999", image_name=UNKNOWN)
    assert result.replaces == ["instance_id"] and result.delete_before_replace is True


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
    assert result.changes is None
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
    assert provider.diff("img-abcd1234", OLD, {**INPUTS, "image_name": "renamed"}).changes is None
    assert provider._service is None
