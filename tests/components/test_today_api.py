"""The provider on today's CVM API (the emulator's default era, with its lags): the seed's promises kept by the client.

Everything goes through the official SDK against the emulator; the request log shows what the provider sent.
"""

import time

import pytest
from tencentcloud.autoscaling.v20180419 import models as as_models
from tencentcloud.common.abstract_model import AbstractModel
from tencentcloud.cvm.v20170312 import models as cvm_models
from tencentcloud.tag.v20180813 import models as tag_models

from components.cloud.errors import CvmImageError
from components.cloud.client import CvmApi
from components.cloud.retry import Deadline
from components.cloud.settings import resolve_settings
from tests.engine.cvm_stack import emulator_config
from tests.components.conftest import images_in
from tests.components.emulator_helpers import calls, detail_of, provider_marks, without_claim
from tests.components.launch_helpers import launch_template

STOPPED, RUNNING = "ins-emu00001", "ins-emu00002"
POWER_AND_IMAGE = ("StopInstances", "CreateImage", "StartInstances")


def instance_state(emulator, instance_id: str) -> str:
    return next(i["InstanceState"] for i in emulator.control.state()["instances"] if i["InstanceId"] == instance_id)


def tags_of(emulator, image_id: str) -> dict[str, str]:
    image = next(i for i in images_in(emulator) if i["ImageId"] == image_id)
    return {tag["Key"]: tag["Value"] for tag in image["Tags"]}


def test_a_running_builder_is_stopped_imaged_and_started_again(provider, checked, emulator):
    result = provider.create(checked(instance_id=RUNNING, image_name="api-base"))

    assert result.outs["image_state"] == "NORMAL"
    [image] = images_in(emulator)
    assert image["ImageState"] == "NORMAL"
    assert instance_state(emulator, RUNNING) in ("STARTING", "RUNNING")
    time.sleep(0.3)
    assert instance_state(emulator, RUNNING) == "RUNNING"
    log = [r for r in calls(emulator) if r["action"] in POWER_AND_IMAGE]
    assert [r["action"] for r in log] == list(POWER_AND_IMAGE)
    assert log[0]["params"] == {"InstanceIds": [RUNNING], "StopType": "SOFT"}
    assert "Reboot" not in log[1]["params"] and "ForcePoweroff" not in log[1]["params"]
    assert log[1]["error"] is None


def test_a_stopped_instance_is_imaged_directly_and_stays_stopped(provider, checked, emulator):
    provider.create(checked(instance_id=STOPPED, image_name="web-base"))
    assert [r["action"] for r in calls(emulator) if r["action"] in POWER_AND_IMAGE] == ["CreateImage"]
    assert instance_state(emulator, STOPPED) == "STOPPED"


def test_reboot_false_on_a_running_instance_is_refused_before_create_image(provider, checked, emulator):
    with pytest.raises(CvmImageError) as raised:
        provider.create(checked(instance_id=RUNNING, image_name="api-base", reboot=False))

    message = str(raised.value)
    for fragment in (RUNNING, "'api-base'", "reboot: true", "live_image: true", "may be missing", "stop the instance"):
        assert fragment in message
    assert calls(emulator, "CreateImage") == [] and calls(emulator, "StopInstances") == []
    assert instance_state(emulator, RUNNING) == "RUNNING"


def test_live_image_images_the_running_instance_without_stopping_it(provider, checked, emulator):
    result = provider.create(checked(instance_id=RUNNING, image_name="api-live", live_image=True))

    assert result.outs["image_state"] == "NORMAL"
    [create] = calls(emulator, "CreateImage")
    assert create["params"]["ForcePoweroff"] == "false" and "Reboot" not in create["params"]
    assert calls(emulator, "StopInstances") == [] and calls(emulator, "StartInstances") == []
    assert instance_state(emulator, RUNNING) == "RUNNING"


def test_a_tag_change_is_an_update_through_the_tag_api_and_keeps_the_marker(provider, checked, emulator):
    created = provider.create(checked(instance_id=STOPPED, image_name="web-base", tags={"team": "infra", "env": "dev"}))
    olds = created.outs
    news = checked(instance_id=STOPPED, image_name="web-base", tags={"team": "platform", "owner": "ops"})
    assert provider.diff(created.id, olds, news).replaces == []
    emulator.control.clear_requests()

    updated = provider.update(created.id, olds, news)

    assert updated.outs["image_id"] == created.id
    assert [r["action"] for r in calls(emulator)] == ["TagResources", "UnTagResources"]
    assert all(r["service"] == "tag" for r in calls(emulator))
    untag = calls(emulator, "UnTagResources")[0]["params"]
    assert untag["TagKeys"] == ["env"]
    assert untag["ResourceList"] == [f"qcs::cvm:ap-guangzhou:uin/:image/{created.id}"]
    marks = provider_marks("web-base", STOPPED)
    assert without_claim(tags_of(emulator, created.id)) == {"team": "platform", "owner": "ops", **marks}

    emulator.control.clear_requests()
    provider.update(created.id, updated.outs, checked(instance_id=STOPPED, image_name="web-base"))  # all tags dropped
    assert without_claim(tags_of(emulator, created.id)) == marks
    assert not calls(emulator, "CreateImage") and not calls(emulator, "DeleteImages")


def test_refresh_reads_live_tags_so_drift_shows(provider, checked, emulator, cvm_client):
    created = provider.create(checked(instance_id=STOPPED, image_name="web-base", tags={"team": "infra"}))
    api = CvmApi(resolve_settings(emulator_config(emulator)))
    api.tags.tag_image(created.id, {"team": "hacked"}, Deadline.after(30))  # a change by hand

    read = provider.read(created.id, created.outs)

    assert read.outs["tags"] == {"team": "hacked"} and read.inputs["tags"] == {"team": "hacked"}


LAGS = {"image_visibility_lag_seconds": 3, "tag_binding_lag_seconds": 3}


# CreateImage's tags still unbound long after the image shows (with equal lags they are bound by the time it shows,
# and nothing needs setting again): only the Tag API can have bound them when create returns.
LATE_TAGS = {"image_visibility_lag_seconds": 3, "tag_binding_lag_seconds": 30}


@pytest.mark.timeout(60)
def test_three_second_lags_break_neither_create_nor_refresh(provider, checked, emulator):
    emulator.control.set_config(**LATE_TAGS)
    result = provider.create(checked(instance_id=RUNNING, image_name="api-base", tags={"team": "infra"}))

    assert result.outs["image_state"] == "NORMAL"
    # The tags were set again through the Tag API instead of waiting for the late binding.
    wanted = {"team": "infra", **provider_marks("api-base", RUNNING)}
    [tagged] = [r for r in calls(emulator, "TagResources") if r["params"]["ResourceList"][0].endswith(f":image/{result.id}")]
    assert without_claim({tag["TagKey"]: tag["TagValue"] for tag in tagged["params"]["Tags"]}) == wanted
    assert without_claim(tags_of(emulator, result.id)) == wanted
    read = provider.read(result.id, result.outs)
    assert read.id == result.id and read.outs["tags"] == {"team": "infra"}


@pytest.mark.timeout(60)
def test_a_new_image_read_before_it_is_visible_is_not_gone(provider, checked, emulator, cvm_client):
    emulator.control.set_config(**LAGS)
    image_id = cvm_client.call_json("CreateImage", {"InstanceId": STOPPED, "ImageName": "fresh"})["Response"]["ImageId"]

    read = provider.read(image_id, {"image_name": "fresh", "instance_id": STOPPED})

    assert read.id == image_id


@pytest.mark.timeout(60)
def test_a_lost_create_answer_is_adopted_despite_the_lags(provider, checked, emulator):
    emulator.control.set_config(**LAGS)
    emulator.control.set_faults([{"action": "CreateImage", "kind": "lose_response", "count": 1}])

    result = provider.create(checked(instance_id=STOPPED, image_name="web-base"))

    [image] = images_in(emulator)
    assert image["ImageId"] == result.id and image["ImageState"] == "NORMAL"
    creates = calls(emulator, "CreateImage")
    assert creates[0]["fault"] == "lose_response"
    assert [r["error"] for r in creates[1:]] in ([], ["InvalidImageName.Duplicate"])  # the retry met its own image's name


@pytest.mark.timeout(60)
def test_a_lost_create_answer_for_a_running_builder_still_starts_it_again(provider, checked, emulator):
    emulator.control.set_config(**LAGS)
    emulator.control.set_faults([{"action": "CreateImage", "kind": "lose_response", "count": 1}])

    result = provider.create(checked(instance_id=RUNNING, image_name="api-base"))

    assert calls(emulator, "CreateImage")[0]["fault"] == "lose_response"
    assert [image["ImageId"] for image in images_in(emulator)] == [result.id]
    time.sleep(0.3)
    assert instance_state(emulator, RUNNING) == "RUNNING"


def test_a_shared_image_says_unshare_it_first(provider, checked, emulator, cvm_client):
    created = provider.create(checked(instance_id=STOPPED, image_name="web-base"))
    share = {"ImageId": created.id, "AccountIds": ["100000000002"], "Permission": "SHARE"}
    cvm_client.call_json("ModifyImageSharePermission", share)

    with pytest.raises(CvmImageError) as deleting:
        provider.delete(created.id, created.outs)
    with pytest.raises(CvmImageError) as renaming:
        provider.update(created.id, created.outs, checked(instance_id=STOPPED, image_name="web-renamed"))

    for raised, code in ((deleting, "InvalidImageId.InShared"), (renaming, "UnsupportedOperation.SharedImageModifyUnsupported")):
        detail = detail_of(str(raised.value), code)
        assert "shared with other accounts" in detail
        assert "Unshare it first (ModifyImageSharePermission CANCEL) then run `pulumi up`" in detail


@pytest.mark.parametrize(
    ("denied", "operation", "grant"),
    [
        ("CreateImage", "create", "cvm:CreateImage"),
        ("StopInstances", "create-running", "cvm:StopInstances"),
        ("tag:TagResources", "retag", "tag:TagResources"),
    ],
)
def test_a_cam_denial_names_the_action_to_grant(provider, checked, emulator, denied, operation, grant):
    created = None
    if operation == "retag":
        created = provider.create(checked(instance_id=STOPPED, image_name="web-base"))
    emulator.control.deny(denied)

    with pytest.raises(CvmImageError) as raised:
        if operation == "create":
            provider.create(checked(instance_id=STOPPED, image_name="web-base"))
        elif operation == "create-running":
            provider.create(checked(instance_id=RUNNING, image_name="api-base"))
        else:
            provider.update(created.id, created.outs, checked(instance_id=STOPPED, image_name="web-base", tags={"a": "b"}))

    fix = detail_of(str(raised.value), "AuthFailure.UnauthorizedOperation")
    assert f"a CAM policy denies {grant.split(':')[1]}: grant {grant} to this key" in fix
    assert "Check `tencentcloud:secretId`" not in fix


def test_rename_of_a_busy_image_waits_for_it(provider, checked, emulator, cvm_client):
    emulator.control.set_config(image_build_seconds=1.5, image_visibility_lag_seconds=0)
    image_id = cvm_client.call_json("CreateImage", {"InstanceId": STOPPED, "ImageName": "web-base"})["Response"]["ImageId"]
    olds = {"image_name": "web-base", "instance_id": STOPPED, "image_id": image_id}

    provider.update(image_id, olds, checked(instance_id=STOPPED, image_name="web-renamed"))

    errors = [r["error"] for r in calls(emulator, "ModifyImageAttribute")]
    assert errors[0] == "InvalidImageId.IncorrectState" and errors[-1] is None
    assert images_in(emulator)[0]["ImageName"] == "web-renamed"


def test_an_unknown_parameter_names_the_refused_parameter(emulator):
    from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

    from components.cloud.errors import ImageRef, translate

    exc = TencentCloudSDKException("UnknownParameter", "The parameter `Reboot` is not recognized.", "req-1")
    exc.api_action = "cvm:CreateImage"
    message = str(translate(exc, "CreateImage", ImageRef("web-base", "ap-guangzhou", STOPPED)))
    assert "the API refused parameter `Reboot` of cvm:CreateImage" in message


# -- every parameter the provider sends is one the installed SDK declares -------------------------------------------

SDK_REQUESTS = {("cvm", name): getattr(cvm_models, f"{name}Request") for name in (
    "CreateImage", "DescribeImages", "DescribeInstances", "StopInstances", "StartInstances", "ModifyImageAttribute",
    "DeleteImages", "SyncImages", "ModifyImageSharePermission", "DescribeImageSharePermission", "DescribeRegions",
    "DescribeLaunchTemplates", "DescribeLaunchTemplateVersions",
)} | {("tag", name): getattr(tag_models, f"{name}Request") for name in ("TagResources", "UnTagResources")} | {
    ("as", "DescribeLaunchConfigurations"): as_models.DescribeLaunchConfigurationsRequest}


def _undeclared(model: type[AbstractModel], params: dict, where: str) -> list[str]:
    fields = {name[1:]: value for name, value in vars(model()).items() if name.startswith("_")}
    problems = [f"{where}.{key}" for key in params if key not in fields]
    for key, value in params.items():
        if key not in fields:
            continue
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, dict):
                nested = _model_of(model, key)
                problems += _undeclared(nested, item, f"{where}.{key}") if nested else []
    return problems


def _model_of(model: type[AbstractModel], field: str) -> type[AbstractModel] | None:
    """The SDK model of a nested field, found from the name its _deserialize uses."""
    import inspect
    import re

    source = inspect.getsource(model._deserialize)
    found = re.search(rf'params.get\("{field}"\).*?\n.*?obj = (\w+)\(\)', source, re.S)
    module = cvm_models if model.__module__ == cvm_models.__name__ else tag_models
    return getattr(module, found.group(1)) if found else None


@pytest.mark.timeout(90)
def test_every_parameter_sent_is_declared_by_the_sdk_request_models(provider, checked, emulator, cvm_client):
    launch_template(emulator, "img-9id7emv7")  # the usage lookup before the delete reads its versions
    emulator.control.clear_requests()
    created = provider.create(checked(instance_id=RUNNING, image_name="api-base", image_description="d", sysprep=False,
                                      data_disk_ids=["disk-emu0002d"], tags={"team": "infra"}))
    provider.create(checked(instance_id=STOPPED, image_name="live", live_image=True))
    updated = provider.update(created.id, created.outs, checked(instance_id=RUNNING, image_name="api-renamed",
                                                                data_disk_ids=["disk-emu0002d"], tags={"owner": "ops"},
                                                                copy_to_regions=["ap-shanghai"], share_with_accounts=["100000000002"],
                                                                share_copies=True, image_family="api", deprecated=True))
    provider.read(created.id, updated.outs)
    provider.delete(created.id, updated.outs)
    emulator.control.set_faults([{"action": "CreateImage", "kind": "lose_response", "count": 1}])
    provider.create(checked(instance_id=STOPPED, image_name="lost"))  # the name lookup after a lost answer

    log = calls(emulator)
    used = {(r["service"], r["action"]) for r in log}
    assert used <= set(SDK_REQUESTS), used - set(SDK_REQUESTS)
    assert {("cvm", "StopInstances"), ("cvm", "StartInstances"), ("tag", "TagResources"), ("tag", "UnTagResources"),
            ("cvm", "ModifyImageAttribute"), ("cvm", "DeleteImages"), ("cvm", "DescribeInstances"), ("cvm", "SyncImages"),
            ("cvm", "ModifyImageSharePermission"), ("cvm", "DescribeImageSharePermission"), ("cvm", "DescribeRegions"),
            ("cvm", "DescribeLaunchTemplates"), ("cvm", "DescribeLaunchTemplateVersions"),
            ("as", "DescribeLaunchConfigurations")} <= used
    problems = [p for r in log for p in _undeclared(SDK_REQUESTS[(r["service"], r["action"])], r["params"], r["action"])]
    assert problems == []
    assert all(r["error"] != "UnknownParameter" for r in log)


@pytest.mark.timeout(60)
def test_tags_not_bound_yet_after_create_are_set_again_through_the_tag_api(provider, checked, emulator):
    emulator.control.set_config(image_visibility_lag_seconds=0, tag_binding_lag_seconds=3)

    result = provider.create(checked(instance_id=STOPPED, image_name="web-base", tags={"team": "infra"}))

    marks = provider_marks("web-base", STOPPED)
    assert without_claim(tags_of(emulator, result.id)) == {"team": "infra", **marks}  # at once, not 3 s later
    [tagged] = calls(emulator, "TagResources")
    assert {t["TagKey"] for t in tagged["params"]["Tags"]} == {"team", *marks, "pulumi-cvm-image:claim"}
