"""The provider's create/read/update/delete against the emulator, through the official SDK over HTTP."""

import time

import pytest

from components.cloud.errors import CvmImageError
from tests.components.conftest import configured_provider, images_in
from tests.components.emulator_helpers import provider_marks, tag_specification, without_claim

STOPPED, RUNNING = "ins-emu00001", "ins-emu00002"



def calls(emulator, action=None):
    return [r for r in emulator.control.requests() if action is None or r["action"] == action]


def test_create_from_a_stopped_instance(provider, checked, emulator):
    result = provider.create(checked(instance_id=STOPPED, image_name="web-base", image_description="golden", tags={"team": "infra"}))

    assert result.id.startswith("img-")
    outs = result.outs
    assert outs["image_id"] == result.id and outs["image_state"] == "NORMAL"
    assert outs["image_name"] == "web-base" and outs["image_description"] == "golden"
    assert outs["request_id"] and outs["created_time"] and outs["image_size"] > 0
    [image] = images_in(emulator)
    assert image["ImageId"] == result.id and image["ImageState"] == "NORMAL"
    tags = {tag["Key"]: tag["Value"] for tag in image["Tags"]}
    assert without_claim(tags) == {"team": "infra", **provider_marks("web-base", STOPPED)}
    assert tags["pulumi-cvm-image:claim"] == outs["claim"]


def test_create_sends_exactly_what_the_user_set(provider, checked, emulator):
    provider.create(checked(instance_id=STOPPED, image_name="plain"))
    provider.create(checked(instance_id=RUNNING, image_name="full", force_poweroff=True, sysprep=False, reboot="TRUE"))

    plain, full = (r["params"] for r in calls(emulator, "CreateImage"))
    assert set(plain) == {"InstanceId", "ImageName", "TagSpecification"}
    # Today's API: never Reboot; the provider stops the instance itself: soft, forced if that fails (force_poweroff).
    assert set(full) == {"InstanceId", "ImageName", "Sysprep", "TagSpecification"} and full["Sysprep"] == "false"
    [stop] = calls(emulator, "StopInstances")
    assert stop["params"] == {"InstanceIds": [RUNNING], "StopType": "SOFT_FIRST"}


def test_create_from_a_running_instance_shuts_it_down_and_starts_it_again(provider, checked, emulator):
    provider.create(checked(instance_id=RUNNING, image_name="api-base", reboot=True))

    [image] = images_in(emulator)
    assert image["ImageState"] == "NORMAL"
    time.sleep(0.5)  # the emulator starts the instance again after imaging
    instance = next(i for i in emulator.control.state()["instances"] if i["InstanceId"] == RUNNING)
    assert instance["InstanceState"] == "RUNNING"


def test_create_copes_with_the_seed_response_without_image_id(provider, checked, emulator, cvm_client):
    emulator.control.set_config(api_era="2018")  # the seed's era: Reboot declared, CreateImage answers without ImageId
    cvm_client.call_json("CreateImage", {"InstanceId": RUNNING, "ImageName": "web-base-old", "Reboot": "true"})
    emulator.control.set_config(create_image_returns_image_id=False)

    result = provider.create(checked(instance_id=STOPPED, image_name="web-base"))

    by_name = {image["ImageName"]: image["ImageId"] for image in images_in(emulator)}
    assert result.id == by_name["web-base"] != by_name["web-base-old"]  # exact match, not the fuzzy filter's first hit


def test_failed_build_is_deleted_and_explained(provider, checked, emulator):
    """The provider stopped the running instance for the image: it starts it again although the build failed."""
    emulator.control.patch_instance(RUNNING, image_build_fails=True)

    with pytest.raises(CvmImageError) as raised:
        provider.create(checked(instance_id=RUNNING, image_name="api-base"))

    message = str(raised.value)
    assert "'api-base'" in message and "CREATEFAILED" in message and "was started again" in message
    assert images_in(emulator) == []
    assert [r["action"] for r in calls(emulator) if r["action"] in ("StopInstances", "StartInstances")] == [
        "StopInstances", "StartInstances"]


def test_force_poweroff_gets_past_a_failing_soft_shutdown(provider, checked, emulator):
    emulator.control.patch_instance(RUNNING, soft_shutdown_fails=True)
    result = provider.create(checked(instance_id=RUNNING, image_name="api-base", reboot=True, force_poweroff=True))
    assert result.outs["image_state"] == "NORMAL"


@pytest.mark.parametrize(
    ("arrange", "inputs", "fragments"),
    [
        (lambda e: e.control.set_config(image_quota=0), {}, ["ImageQuotaLimitExceeded", "quota", "ap-guangzhou"]),
        (lambda e: None, {"instance_id": "ins-zzzzzzzz"}, ["InvalidInstanceId.NotFound", "ins-zzzzzzzz", "does not exist"]),
        (
            lambda e: e.control.patch_instance(STOPPED, system_disk_type="LOCAL_BASIC"),
            {},
            ["InvalidInstance.NotSupported", "local system disk"],
        ),
        (lambda e: None, {"instance_id": RUNNING, "reboot": False}, [RUNNING, "reboot: true", "live_image: true", "stop the instance"]),
    ],
    ids=["quota", "no-such-instance", "local-disk", "running-without-reboot"],
)
def test_seed_errors_name_the_image_region_and_fix(provider, checked, emulator, arrange, inputs, fragments):
    arrange(emulator)
    with pytest.raises(CvmImageError) as raised:
        provider.create(checked(**{"instance_id": STOPPED, "image_name": "web-base", **inputs}))
    message = str(raised.value)
    assert "'web-base'" in message
    for fragment in fragments:
        assert fragment in message
    assert images_in(emulator) == []


def test_a_name_taken_by_another_image_is_refused_with_its_id(provider, checked, emulator, cvm_client):
    other = cvm_client.call_json("CreateImage", {"InstanceId": RUNNING, "ImageName": "web-base"})["Response"]["ImageId"]

    with pytest.raises(CvmImageError) as raised:
        provider.create(checked(instance_id=STOPPED, image_name="web-base"))

    message = str(raised.value)
    assert "InvalidImageName.Duplicate" in message and other in message and "another image_name" in message
    assert [image["ImageId"] for image in images_in(emulator)] == [other]


def test_a_running_image_task_is_waited_out_then_reported(emulator, checked, cvm_client):
    emulator.control.set_config(image_build_seconds=30)
    cvm_client.call_json("CreateImage", {"InstanceId": STOPPED, "ImageName": "first"})
    provider = configured_provider(emulator)

    started = time.monotonic()
    with pytest.raises(CvmImageError) as raised:
        provider.create(provider.check({}, {"instance_id": STOPPED, "image_name": "second", "wait_timeout_minutes": 0.05}).inputs)

    assert time.monotonic() - started < 10
    assert "MutexOperation.TaskRunning" in str(raised.value) and "another image task" in str(raised.value)
    assert len(calls(emulator, "CreateImage")) > 2  # retried, with backoff, until the deadline


def test_bad_credentials_are_explained_without_leaking_the_key(emulator, checked):
    provider = configured_provider(emulator, **{"tencentcloud:secretKey": "not-the-right-key-0xSECRET"})
    with pytest.raises(CvmImageError) as raised:
        provider.create(provider.check({}, {"instance_id": STOPPED, "image_name": "web-base"}).inputs)
    message = str(raised.value)
    assert "AuthFailure.SignatureFailure" in message and "tencentcloud:secretKey" in message
    assert "0xSECRET" not in message


def test_missing_credentials_are_explained(emulator):
    provider = configured_provider(emulator, **{"tencentcloud:secretId": "", "tencentcloud:secretKey": ""})
    with pytest.raises(CvmImageError, match="No Tencent Cloud credentials"):
        provider.create({"instance_id": STOPPED, "image_name": "web-base"})


def test_read_reports_live_name_and_description_as_inputs(provider, checked, emulator, cvm_client):
    created = provider.create(checked(instance_id=STOPPED, image_name="web-base", image_description="golden"))
    cvm_client.call_json("ModifyImageAttribute", {"ImageId": created.id, "ImageName": "renamed-by-hand", "ImageDescription": ""})

    result = provider.read(created.id, created.outs)

    assert result.id == created.id
    assert result.outs["image_name"] == result.inputs["image_name"] == "renamed-by-hand"
    assert "image_description" not in result.inputs
    assert result.inputs["instance_id"] == STOPPED and "image_id" not in result.inputs


def test_read_of_a_deleted_image_reports_it_gone(provider, checked, cvm_client):
    created = provider.create(checked(instance_id=STOPPED, image_name="web-base"))
    cvm_client.call_json("DeleteImages", {"ImageIds": [created.id]})
    assert provider.read(created.id, created.outs).id == ""


def test_update_renames_in_place(provider, checked, emulator):
    created = provider.create(checked(instance_id=STOPPED, image_name="web-base", image_description="v1"))

    result = provider.update(created.id, created.outs, checked(instance_id=STOPPED, image_name="web-base-v2", image_description="v2"))

    [image] = images_in(emulator)
    assert (image["ImageId"], image["ImageName"], image["ImageDescription"]) == (created.id, "web-base-v2", "v2")
    assert result.outs["image_name"] == "web-base-v2" and result.outs["image_id"] == created.id


def test_update_of_state_only_settings_makes_no_api_call(provider, checked, emulator):
    created = provider.create(checked(instance_id=STOPPED, image_name="web-base"))
    emulator.control.clear_requests()
    result = provider.update(created.id, created.outs, checked(instance_id=STOPPED, image_name="web-base", delete_bound_snapshots=True))
    assert result.outs["delete_bound_snapshots"] is True
    assert calls(emulator) == []


def test_rename_onto_a_taken_name_is_explained(provider, checked):
    first = provider.create(checked(instance_id=STOPPED, image_name="web-base"))
    provider.create(checked(instance_id=STOPPED, image_name="web-base-v2"))
    with pytest.raises(CvmImageError) as raised:
        provider.update(first.id, first.outs, checked(instance_id=STOPPED, image_name="web-base-v2"))
    assert "InvalidImageName.Duplicate" in str(raised.value) and "another image_name" in str(raised.value)


@pytest.mark.parametrize("delete_snapshots", [True, False])
def test_delete_waits_until_gone_and_keeps_or_drops_snapshots(provider, checked, emulator, delete_snapshots):
    created = provider.create(checked(instance_id=STOPPED, image_name="web-base", delete_bound_snapshots=delete_snapshots))
    snapshots = set(created.outs["snapshot_ids"])
    assert snapshots

    provider.delete(created.id, created.outs)

    state = emulator.control.state()
    assert images_in(emulator) == []
    left = {snapshot["SnapshotId"] for snapshot in state["snapshots"]}
    assert (snapshots <= left) is (not delete_snapshots)


def test_delete_of_an_already_deleted_image_succeeds(provider, checked, cvm_client):
    created = provider.create(checked(instance_id=STOPPED, image_name="web-base"))
    cvm_client.call_json("DeleteImages", {"ImageIds": [created.id]})
    provider.delete(created.id, created.outs)


def test_delete_of_an_image_still_building_waits_for_it(provider, emulator, cvm_client):
    emulator.control.set_config(image_build_seconds=1.5)
    image_id = cvm_client.call_json("CreateImage", {"InstanceId": STOPPED, "ImageName": "building"})["Response"]["ImageId"]
    provider.delete(image_id, {"image_name": "building", "instance_id": STOPPED})
    assert images_in(emulator) == []


def test_timeout_leaves_the_image_and_the_next_create_adopts_it(emulator):
    emulator.control.set_config(image_build_seconds=4, image_visibility_lag_seconds=0)  # visible, and CREATING
    provider = configured_provider(emulator)
    inputs = provider.check({}, {"instance_id": STOPPED, "image_name": "slow", "wait_timeout_minutes": 0.02}).inputs

    with pytest.raises(CvmImageError) as raised:
        provider.create(inputs)
    assert "still CREATING" in str(raised.value) and "adopts it" in str(raised.value)
    [left] = images_in(emulator)

    adopted = provider.create({**inputs, "wait_timeout_minutes": 1})
    assert adopted.id == left["ImageId"] and adopted.outs["image_state"] == "NORMAL"
    assert len(images_in(emulator)) == 1
    # The instance is stopped, so nothing stands to lose by trying: CreateImage says the name is taken, and the image
    # holding it is this resource's own (its marks), so it is taken over.
    assert len(calls(emulator, "CreateImage")) == 2


def test_a_lost_create_response_still_yields_exactly_one_image(provider, checked, emulator):
    emulator.control.set_faults([{"action": "CreateImage", "kind": "lose_response", "count": 1}])
    result = provider.create(checked(instance_id=STOPPED, image_name="web-base"))
    [image] = images_in(emulator)
    assert image["ImageId"] == result.id


def test_adopting_by_id_takes_over_and_renames_the_image(provider, checked, emulator, cvm_client):
    made_by_hand = cvm_client.call_json("CreateImage", {"InstanceId": STOPPED, "ImageName": "packer-web-123"})["Response"]["ImageId"]
    time.sleep(0.5)  # let it turn NORMAL
    emulator.control.clear_requests()

    result = provider.create(checked(instance_id=STOPPED, image_name="web-base", image_description="golden", adopt_image=made_by_hand))

    assert result.id == made_by_hand and result.outs["image_state"] == "NORMAL" and result.outs["request_id"] is None
    [image] = images_in(emulator)
    assert (image["ImageName"], image["ImageDescription"]) == ("web-base", "golden")
    assert calls(emulator, "CreateImage") == []


def test_adopting_by_exact_name(provider, checked, emulator, cvm_client):
    cvm_client.call_json("CreateImage", {"InstanceId": STOPPED, "ImageName": "web-base-extra"})
    wanted = cvm_client.call_json("CreateImage", {"InstanceId": RUNNING, "ImageName": "web-base"})["Response"]["ImageId"]
    time.sleep(1.0)
    result = provider.create(checked(instance_id=RUNNING, image_name="web-base", adopt_image="web-base"))
    assert result.id == wanted
    assert len(images_in(emulator)) == 2


@pytest.mark.parametrize("target", ["img-zzzzzzzz", "no-such-image"])
def test_adopting_a_missing_image_is_refused(provider, checked, emulator, target):
    with pytest.raises(CvmImageError) as raised:
        provider.create(checked(instance_id=STOPPED, image_name="web-base", adopt_image=target))
    assert f"Cannot adopt '{target}'" in str(raised.value) and "no custom image" in str(raised.value)
    assert images_in(emulator) == []


def test_adopting_a_public_image_is_refused(provider, checked, cvm_client):
    filters = [{"Name": "image-type", "Values": ["PUBLIC_IMAGE"]}]
    public = cvm_client.call_json("DescribeImages", {"Filters": filters})["Response"]["ImageSet"][0]["ImageId"]
    with pytest.raises(CvmImageError, match="no custom image"):
        provider.create(checked(instance_id=STOPPED, image_name="web-base", adopt_image=public))


def test_adopting_a_failed_image_is_refused(provider, checked, emulator, cvm_client):
    emulator.control.patch_instance(STOPPED, image_build_fails=True)
    failed = cvm_client.call_json("CreateImage", {"InstanceId": STOPPED, "ImageName": "broken"})["Response"]["ImageId"]
    time.sleep(0.5)
    with pytest.raises(CvmImageError) as raised:
        provider.create(checked(instance_id=STOPPED, image_name="web-base", adopt_image=failed))
    assert "it is CREATEFAILED" in str(raised.value) and "only a NORMAL image" in str(raised.value)


def test_progress_is_reported_on_state_changes_only(provider, checked, emulator, capfd):
    """Outside the provider host there is no engine to log to: the lines go to stderr, without the image's name."""
    emulator.control.set_config(image_build_seconds=2.5)
    result = provider.create(checked(instance_id=STOPPED, image_name="web-base"))
    err = capfd.readouterr().err
    lines = [line.removeprefix(f"image {result.id}: ") for line in err.splitlines() if result.id in line]
    assert [line.split(" after")[0] for line in lines] == ["CREATING", "NORMAL"]  # several polls, two reports
    assert "web-base" not in err


def test_an_own_image_that_failed_since_the_last_up_is_replaced(provider, checked, emulator, cvm_client):
    """An earlier `up` timed out on an image that then failed: the next create clears it and makes a new one."""
    emulator.control.patch_instance(STOPPED, image_build_fails=True)
    tags = tag_specification(provider_marks("web-base", STOPPED))
    failed = cvm_client.call_json("CreateImage", {"InstanceId": STOPPED, "ImageName": "web-base", "TagSpecification": tags})
    time.sleep(0.5)
    emulator.control.patch_instance(STOPPED, image_build_fails=False)

    result = provider.create(checked(instance_id=STOPPED, image_name="web-base"))

    [image] = images_in(emulator)
    assert image["ImageId"] == result.id != failed["Response"]["ImageId"]
    assert image["ImageState"] == "NORMAL"
