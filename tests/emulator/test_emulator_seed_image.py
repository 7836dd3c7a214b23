"""POST /_emulator/images: an image with a given id, for tests that load a saved stack state naming it."""

from typing import Any

import pytest

from emulator.control import ControlError

MARKER = {"Key": "pulumi-cvm-image:instance-id", "Value": "ins-emu00001"}


def test_a_seeded_image_is_normal_and_served_by_the_api_with_its_id_name_and_tags(
    emulator: Any, image_of: Any
) -> None:
    answer = emulator.control.seed_image(
        "img-fixture1", "infra-web", ImageDescription="from a state fixture", InstanceId="ins-emu00001", Tags=[MARKER]
    )

    assert answer["ImageId"] == "img-fixture1"
    described = image_of("img-fixture1")
    assert described is not None
    assert (described["ImageName"], described["ImageState"]) == ("infra-web", "NORMAL")
    assert described["ImageDescription"] == "from a state fixture"
    assert described["Tags"] == [MARKER]


def test_a_taken_id_or_a_malformed_one_is_refused_and_changes_nothing(emulator: Any) -> None:
    emulator.control.seed_image("img-fixture1", "first")

    with pytest.raises(ControlError) as taken:
        emulator.control.seed_image("img-fixture1", "second")
    with pytest.raises(ControlError) as malformed:
        emulator.control.seed_image("ins-emu00001", "third")

    assert taken.value.status == 409 and malformed.value.status == 400
    assert [image["ImageName"] for image in emulator.control.state()["images"]] == ["first"]
