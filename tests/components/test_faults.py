"""Each fault kind alone on each API call the provider makes: the operation succeeds, or fails with a clear message."""

import pytest

from components.cloud.errors import CvmImageError
from tests.components.conftest import configured_provider, images_in

STOPPED = "ins-emu00001"
KINDS = ["throttle", "internal_error", "http_500", "drop", "lose_response", "delay"]



def inject(emulator, action, kind, count=2):
    emulator.control.set_faults([{"action": action, "kind": kind, "count": count, "seconds": 1.0}])


def fired(emulator, action=None, kind=None):
    """The logged calls that met a fault (of this kind, on this action)."""
    return [
        r for r in emulator.control.requests()
        if r.get("fault") and (action is None or r["action"] == action) and (kind is None or r["fault"] == kind)
    ]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("action", ["CreateImage", "DescribeImages"])
def test_create_converges_on_one_image(provider, checked, emulator, action, kind):
    inject(emulator, action, kind)
    result = provider.create(checked(instance_id=STOPPED, image_name="web-base"))
    assert fired(emulator, action, kind)  # the fault really hit the operation
    assert [image["ImageId"] for image in images_in(emulator)] == [result.id]
    assert images_in(emulator)[0]["ImageState"] == "NORMAL"


@pytest.mark.parametrize("kind", KINDS)
def test_create_without_image_id_in_the_answer_converges_too(provider, checked, emulator, kind):
    emulator.control.set_config(create_image_returns_image_id=False)
    inject(emulator, "CreateImage", kind)
    result = provider.create(checked(instance_id=STOPPED, image_name="web-base"))
    assert fired(emulator, "CreateImage", kind)  # the fault really hit the operation
    assert [image["ImageId"] for image in images_in(emulator)] == [result.id]


@pytest.mark.parametrize("kind", KINDS)
def test_update_renames_once(provider, checked, emulator, kind):
    created = provider.create(checked(instance_id=STOPPED, image_name="web-base"))
    inject(emulator, "ModifyImageAttribute", kind)
    provider.update(created.id, created.outs, checked(instance_id=STOPPED, image_name="web-base-v2"))
    assert [image["ImageName"] for image in images_in(emulator)] == ["web-base-v2"]
    assert fired(emulator, "ModifyImageAttribute", kind)  # the fault really hit the operation


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("action", ["DeleteImages", "DescribeImages"])
def test_delete_leaves_nothing(provider, checked, emulator, action, kind):
    created = provider.create(checked(instance_id=STOPPED, image_name="web-base"))
    inject(emulator, action, kind)
    provider.delete(created.id, created.outs)
    assert images_in(emulator) == []
    assert fired(emulator, action, kind)  # the fault really hit the operation


@pytest.mark.parametrize("kind", KINDS)
def test_read_sees_through_faults(provider, checked, emulator, kind):
    created = provider.create(checked(instance_id=STOPPED, image_name="web-base"))
    inject(emulator, "DescribeImages", kind)
    emulator.control.clear_requests()
    assert provider.read(created.id, created.outs).id == created.id
    assert fired(emulator, "DescribeImages", kind)  # the fault really hit the read


@pytest.mark.parametrize(
    ("kind", "code", "fix"),
    [
        ("throttle", "RequestLimitExceeded", "kept throttling"),
        ("http_500", "ServerNetworkError", "could not be reached"),
        ("drop", "ClientNetworkError", "could not be reached"),
    ],
)
def test_a_fault_that_never_stops_fails_at_the_deadline_with_a_clear_message(emulator, kind, code, fix):
    provider = configured_provider(emulator)
    inputs = provider.check({}, {"instance_id": STOPPED, "image_name": "web-base", "wait_timeout_minutes": 0.05}).inputs
    inject(emulator, "*", kind, count=None)
    with pytest.raises(CvmImageError) as raised:
        provider.create(inputs)
    message = str(raised.value)
    assert message.startswith(f"CreateImage for image 'web-base' in ap-guangzhou failed with {code}: ")
    assert fix in message
    sent = emulator.control.requests()
    assert len(sent) >= 2 and fired(emulator, kind=kind) == sent  # retried, and every call met the fault
    emulator.control.clear_faults()
    assert images_in(emulator) == []
