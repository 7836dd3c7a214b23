"""Each API code's message as `pulumi up` shows it, from the provider: its own fix text, with the facts it names.

The prefix of every message already names the image and the region, so these check the part after
`failed with <code>: ` (the fix): a fix text that lost its region or instance id fails here.
"""

import re

import pytest

from components.cloud.errors import CvmImageError
from tests.components.conftest import configured_provider, images_in
from tests.components.emulator_helpers import STOPPED, detail_of, today_without_lags

PREFIX = "CreateImage for image 'web-base' in ap-guangzhou failed with "
REQUEST_ID = re.compile(r" \(RequestId [0-9a-f-]{36}\)$")
DOUBLED_STOP = re.compile(r"(?<!\.)\.\.(?!\.)")  # "x.." (an ellipsis "..." is fine)


def create_error(emulator, **inputs) -> str:
    provider = configured_provider(emulator)
    props = {"instance_id": STOPPED, "image_name": "web-base", "wait_timeout_minutes": 0.05, **inputs}
    checked = provider.check({}, props)
    assert not checked.failures
    with pytest.raises(CvmImageError) as raised:
        provider.create(checked.inputs)
    return str(raised.value)


def _busy_with_an_image_task(emulator, client):
    emulator.control.set_config(image_build_seconds=30)
    client.call_json("CreateImage", {"InstanceId": STOPPED, "ImageName": "first"})


@pytest.mark.parametrize(
    ("arrange", "inputs", "code", "fix_fragments"),
    [
        (lambda e, c: e.control.set_config(image_quota=0), {}, "ImageQuotaLimitExceeded",
         ["the custom image quota of ap-guangzhou is used up", "Delete custom images"]),
        (lambda e, c: None, {"instance_id": "ins-zzzzzzzz"}, "InvalidInstanceId.NotFound",
         ["instance ins-zzzzzzzz does not exist in ap-guangzhou", "Check instance_id and `tencentcloud:region`"]),
        (lambda e, c: e.control.patch_instance(STOPPED, system_disk_type="LOCAL_BASIC"), {}, "InvalidInstance.NotSupported",
         [f"instance {STOPPED} cannot be imaged now", "local system disk"]),
        (_busy_with_an_image_task, {}, "MutexOperation.TaskRunning",
         [f"another image task is still running on instance {STOPPED}", "Wait for it to finish"]),
        (lambda e, c: e.control.patch_instance(STOPPED, InstanceState="PENDING"), {}, "OperationDenied.InstanceOperationInProgress",
         [f"instance {STOPPED} is busy with another operation"]),
        (lambda e, c: e.control.patch_instance(STOPPED, InstanceState="STOPPING"), {}, "UnsupportedOperation.InstanceStateStopping",
         [f"instance {STOPPED} stayed STOPPING until the deadline"]),
        (lambda e, c: e.control.deny("CreateImage"), {}, "AuthFailure.UnauthorizedOperation",
         ["a CAM policy denies CreateImage", "grant cvm:CreateImage"]),
    ],
    ids=["quota", "no-such-instance", "local-disk", "image-task-running", "instance-launching", "instance-stopping", "denied"],
)
@pytest.mark.timeout(30)
def test_each_code_gets_its_fix_naming_the_facts(emulator, cvm_client, arrange, inputs, code, fix_fragments):
    today_without_lags(emulator)
    arrange(emulator, cvm_client)

    message = create_error(emulator, **inputs)

    assert message.startswith(PREFIX + code + ": ")
    fix = detail_of(message, code)
    for fragment in fix_fragments:
        assert fragment in fix
    assert REQUEST_ID.search(message), "the RequestId of the failed call is kept for support cases"
    assert not DOUBLED_STOP.search(message) and "Traceback" not in message
    assert [image["ImageName"] for image in images_in(emulator)] in ([], ["first"])  # nothing of ours was left


def test_a_name_taken_by_a_foreign_image_names_that_image(emulator, cvm_client):
    today_without_lags(emulator)
    other = cvm_client.call_json("CreateImage", {"InstanceId": "ins-emu00002", "ImageName": "web-base"})["Response"]["ImageId"]

    message = create_error(emulator)

    assert message.startswith(PREFIX + "InvalidImageName.Duplicate: ")
    fix = detail_of(message, "InvalidImageName.Duplicate")
    assert f"image {other} (" in fix and "made by nothing of this provider" in fix and "neither takes it over nor deletes it" in fix
    assert "Choose another image_name" in fix and f"adopt_image: {other}" in fix


@pytest.mark.timeout(30)
def test_an_untranslated_code_keeps_the_api_message_as_one_sentence(emulator):
    """A code without a fix of its own shows the API's words, ending with one period, then the RequestId."""
    today_without_lags(emulator)

    message = create_error(emulator, data_disk_ids=["disk-emu0002d"])  # a data disk of another instance

    code = "InvalidParameter.DataDiskNotBelongSpecifiedInstance"
    assert message.startswith(PREFIX + code + ": ")
    api_words = f"`disk-emu0002d` is not a data disk of instance `{STOPPED}`."
    assert REQUEST_ID.sub("", detail_of(message, code)) == api_words
    assert not DOUBLED_STOP.search(message)


def test_rejected_credentials_name_the_region_and_the_settings(emulator):
    provider = configured_provider(emulator, **{"tencentcloud:secretKey": "not-the-right-key"})
    checked = provider.check({}, {"instance_id": STOPPED, "image_name": "web-base"})
    with pytest.raises(CvmImageError) as raised:
        provider.create(checked.inputs)

    message = str(raised.value)
    # The first call made fails: whichever action the provider starts with.
    assert re.match(r"\w+ for image 'web-base' in ap-guangzhou failed with AuthFailure.SignatureFailure: ", message)
    fix = detail_of(message, "AuthFailure.SignatureFailure")
    assert "rejected the credentials for ap-guangzhou" in fix
    assert "`tencentcloud:secretKey`" in fix and "TENCENTCLOUD_SECRET_KEY" in fix
