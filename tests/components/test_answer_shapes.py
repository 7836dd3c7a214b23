"""Answers in the shapes the API documents beyond what the emulator sends (issue 20): `+00:00` times, as in the API's
own examples, and SyncImages' `ImageSet: []`. Through the provider against the emulator, its answers reshaped on the
way in."""

from collections.abc import Callable
from typing import Any

import pytest

from components.cloud import sdk
from components.operations.facts import epoch
from tests.components.conftest import images_in
from tests.components.emulator_helpers import STOPPED, calls

pytestmark = pytest.mark.timeout(60)


@pytest.mark.parametrize(
    "text", ["2020-09-22T00:00:00Z", "2020-09-22T00:00:00+00:00", "2020-09-22T08:00:00+08:00", "2020-09-22 00:00:00"]
)
def test_every_documented_time_shape_is_read(text):
    assert epoch(text) == 1600732800.0


@pytest.mark.parametrize("text", [None, "", "yesterday"])
def test_anything_else_is_no_time(text):
    assert epoch(text) is None


def reshaped(monkeypatch: Any, action: str, change: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    """Every answer to `action` passes through `change` on its way to the provider."""
    answer = sdk.sent

    def sent(service, sdk_client, called, params):
        response = answer(service, sdk_client, called, params)
        return change(response) if called == action else response

    monkeypatch.setattr(sdk, "sent", sent)


def with_offset_times(response: dict[str, Any]) -> dict[str, Any]:
    images = [{**image, "CreatedTime": image["CreatedTime"].replace("Z", "+00:00")} for image in response.get("ImageSet") or []]
    return {**response, "ImageSet": images}


def test_a_copy_whose_answer_was_lost_is_recognised_by_a_plus_zero_time(provider, checked, emulator, monkeypatch):
    """An untagged copy made after its image is this image's copy: with an unreadable time it would be taken for
    another image that holds the name."""
    reshaped(monkeypatch, "DescribeImages", with_offset_times)
    emulator.control.set_faults([{"action": "SyncImages", "kind": "lose_response", "count": 1}])

    result = provider.create(checked(instance_id=STOPPED, image_name="gold", copy_to_regions=["ap-shanghai"]))

    shanghai = [image["ImageId"] for image in images_in(emulator) if image["Region"] == "ap-shanghai"]
    assert shanghai == [result.outs["copies"]["ap-shanghai"]]


def test_a_syncimages_answer_without_its_copies_finds_them_by_name(provider, checked, emulator, monkeypatch):
    """SyncImages answers `ImageSet: []` unless ImageSetRequired (its example), and the provider must not take an
    empty list for "no copy": it looks for each copy by name in its region."""
    reshaped(monkeypatch, "SyncImages", lambda response: {**response, "ImageSet": []})

    result = provider.create(checked(instance_id=STOPPED, image_name="gold", copy_to_regions=["ap-shanghai", "ap-beijing"]))

    copies = {image["Region"]: image["ImageId"] for image in images_in(emulator) if image["ImageId"] != result.id}
    assert result.outs["copies"] == copies and sorted(copies) == ["ap-beijing", "ap-shanghai"]
    assert len(calls(emulator, "SyncImages")) == 1
