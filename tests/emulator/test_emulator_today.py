"""CreateImage as today's API serves it (the emulator's default era), driven through the official SDK."""

import json
from collections.abc import Callable
from typing import Any

import pytest
from tencentcloud.autoscaling.v20180419 import models as as_models
from tencentcloud.autoscaling.v20180419.autoscaling_client import AutoscalingClient
from tencentcloud.cvm.v20170312 import models
from tencentcloud.cvm.v20170312.cvm_client import CvmClient
from tencentcloud.sts.v20180813 import models as sts_models
from tencentcloud.sts.v20180813.sts_client import StsClient
from tencentcloud.tag.v20180813 import models as tag_models
from tencentcloud.tag.v20180813.tag_client import TagClient

from emulator.params import Obj
from emulator.responses import SERVICES

ErrorCode = Callable[[Callable[[], Any]], str]
STOPPED, RUNNING, BATCH = "ins-emu00001", "ins-emu00002", "ins-emu00003"


def _create(client: CvmClient, **fields: Any) -> str:
    request = models.CreateImageRequest()
    request.from_json_string(json.dumps(fields))
    return client.CreateImage(request).ImageId


def _pairs(emulator: Any, instance_id: str, seen: list[tuple[str, str]]) -> tuple[str, str]:
    """(instance state, image state) from one control snapshot, appended to `seen` when it changes."""
    state = emulator.control.state()
    instance = next(i for i in state["instances"] if i["InstanceId"] == instance_id)
    pair = (instance["InstanceState"], state["images"][0]["ImageState"])
    if not seen or seen[-1] != pair:
        seen.append(pair)
    return pair


def test_default_era_is_today_and_a_tunable(emulator: Any) -> None:
    assert emulator.control.config()["api_era"] == "today"
    assert emulator.control.state()["era"] == "today"
    assert emulator.control.set_config(api_era="2018")["api_era"] == "2018"
    assert emulator.control.state()["era"] == "2018"


def test_reboot_is_an_unknown_parameter_today(
    emulator: Any, cvm_client: CvmClient, error_code: ErrorCode
) -> None:
    request = {"InstanceId": STOPPED, "ImageName": "rebooted", "Reboot": "true"}
    assert error_code(lambda: cvm_client.call_json("CreateImage", request)) == "UnknownParameter"
    assert emulator.control.state()["images"] == []
    emulator.control.set_config(api_era="2018")
    assert cvm_client.call_json("CreateImage", request)["Response"]["ImageId"].startswith("img-")


def _sdk_fields(model: type) -> set[str]:
    return {name[1:] for name in vars(model())}


def test_parameter_lists_are_the_installed_sdks() -> None:
    """Each action declares exactly what today's SDK request model declares, nested objects included."""
    sdk_modules = {"cvm": models, "tag": tag_models, "as": as_models, "sts": sts_models}
    assert set(SERVICES) == set(sdk_modules)
    for service_name, service in SERVICES.items():
        for action, spec in service.actions.items():
            model = getattr(sdk_modules[service_name], f"{action}Request")
            assert spec.schema(today=True).declared() == _sdk_fields(model), action
    run = SERVICES["cvm"].actions["RunInstances"].params.fields
    create = SERVICES["cvm"].actions["CreateImage"].params.fields
    template = SERVICES["cvm"].actions["CreateLaunchTemplate"].params.fields
    config = SERVICES["as"].actions["CreateLaunchConfiguration"].params.fields
    nested: list[tuple[Any, type]] = [
        (run["Placement"], models.Placement), (run["SystemDisk"], models.SystemDisk),
        (run["DataDisks"][0], models.DataDisk), (create["TagSpecification"][0], models.TagSpecification),
        (create["TagSpecification"][0].fields["Tags"][0], models.Tag),
        (SERVICES["cvm"].actions["DescribeImages"].params.fields["Filters"][0], models.Filter),
        (template["Placement"], models.Placement), (template["SystemDisk"], models.SystemDisk),
        (template["DataDisks"][0], models.DataDisk), (template["TagSpecification"][0], models.TagSpecification),
        (template["LaunchTemplateTagSpecification"][0], models.TagSpecification),
        (SERVICES["cvm"].actions["DescribeLaunchTemplates"].params.fields["Filters"][0], models.Filter),
        (SERVICES["tag"].actions["TagResources"].params.fields["Tags"][0], tag_models.Tag),
        (SERVICES["tag"].actions["ModifyResourceTags"].params.fields["DeleteTags"][0], tag_models.TagKeyObject),
        (config["SystemDisk"], as_models.SystemDisk), (config["DataDisks"][0], as_models.DataDisk),
        (config["Tags"][0], as_models.Tag), (config["InstanceTags"][0], as_models.InstanceTag),
        (SERVICES["as"].actions["DescribeLaunchConfigurations"].params.fields["Filters"][0], as_models.Filter),
    ]
    for schema, model in nested:
        assert isinstance(schema, Obj) and schema.declared() == _sdk_fields(model), model.__name__


def test_every_action_refuses_an_undeclared_parameter(
    emulator: Any, cvm_client: CvmClient, tag_client: TagClient, as_client: AutoscalingClient, sts_client: StsClient,
    error_code: ErrorCode,
) -> None:
    clients = {"cvm": cvm_client, "tag": tag_client, "as": as_client, "sts": sts_client}
    for service_name, service in SERVICES.items():
        for action in service.actions:
            call = clients[service_name].call_json
            assert error_code(lambda: call(action, {"NotAParameter": 1})) == "UnknownParameter", action
    # A parameter today's API declares but the emulator does not model is accepted.
    ids = cvm_client.call_json("RunInstances", {"Placement": {"Zone": "ap-guangzhou-3", "HostIds": []},
                                                "InstanceChargeType": "POSTPAID_BY_HOUR"})["Response"]["InstanceIdSet"]
    assert len(ids) == 1


def test_running_instance_is_imaged_live_and_keeps_running(
    emulator: Any, cvm_client: CvmClient, instance_of: Callable, wait_until: Callable
) -> None:
    emulator.control.set_config(instance_transition_seconds=0.2, image_build_seconds=0.4)
    emulator.control.patch_instance(RUNNING, soft_shutdown_fails=True)  # no shutdown happens, so it cannot fail
    _create(cvm_client, InstanceId=RUNNING, ImageName="live")
    seen: list[tuple[str, str]] = []
    wait_until(lambda: _pairs(emulator, RUNNING, seen) == ("RUNNING", "NORMAL"), timeout=5, interval=0.01)
    assert seen == [("RUNNING", "CREATING"), ("RUNNING", "NORMAL")]
    assert instance_of(RUNNING)["LatestOperation"] == "CreateImage"


@pytest.mark.parametrize("force", ["true", "TRUE"])
def test_force_poweroff_powers_off_and_the_instance_stays_stopped(
    emulator: Any, cvm_client: CvmClient, instance_of: Callable, wait_until: Callable, force: str
) -> None:
    emulator.control.set_config(instance_transition_seconds=0.2, image_build_seconds=0.4)
    emulator.control.patch_instance(RUNNING, soft_shutdown_fails=True)  # forced: no soft shutdown to fail
    _create(cvm_client, InstanceId=RUNNING, ImageName="forced", ForcePoweroff=force)
    seen: list[tuple[str, str]] = []
    wait_until(lambda: _pairs(emulator, RUNNING, seen) == ("STOPPED", "NORMAL"), timeout=5, interval=0.01)
    assert seen == [("STOPPING", "CREATING"), ("STOPPED", "CREATING"), ("STOPPED", "NORMAL")]
    assert instance_of(RUNNING)["LatestOperationState"] == "SUCCESS"


def test_stopped_instance_is_imaged_and_stays_stopped(
    emulator: Any, cvm_client: CvmClient, image_of: Callable, instance_of: Callable, wait_until: Callable
) -> None:
    emulator.control.set_config(image_visibility_lag_seconds=0)
    image_id = _create(cvm_client, InstanceId=STOPPED, ImageName="web", ImageFamily="web-family")
    assert image_of(image_id)["ImageFamily"] == "web-family"
    assert wait_until(lambda: image_of(image_id)["ImageState"] == "NORMAL", timeout=3)
    assert instance_of(STOPPED)["InstanceState"] == "STOPPED"


def test_image_from_snapshots(
    emulator: Any, cvm_client: CvmClient, image_of: Callable, wait_until: Callable, error_code: ErrorCode
) -> None:
    emulator.control.set_config(image_visibility_lag_seconds=0, image_build_seconds=0)
    first = _create(cvm_client, InstanceId=STOPPED, ImageName="source", DataDiskIds=["disk-emu0001d"])
    snapshots = {s["DiskUsage"]: s["SnapshotId"] for s in image_of(first)["SnapshotSet"]}
    request = models.DeleteImagesRequest()
    request.ImageIds = [first]
    cvm_client.DeleteImages(request)  # the snapshots stay
    both = [snapshots["SYSTEM_DISK"], snapshots["DATA_DISK"]]
    assert _create(cvm_client, SnapshotIds=both, ImageName="dry", DryRun=True) is None  # checked, nothing made
    image_id = _create(cvm_client, SnapshotIds=both, ImageName="from-snapshots")
    image = wait_until(lambda: image_of(image_id))
    assert image["ImageSize"] == 50 and [s["SnapshotId"] for s in image["SnapshotSet"]] == both

    def code(**fields: Any) -> str:
        return error_code(lambda: cvm_client.call_json("CreateImage", {"ImageName": "x", **fields}))

    assert code(InstanceId=STOPPED, SnapshotIds=both) == "InvalidParameterConflict"
    assert code(SnapshotIds=both, DataDiskIds=["disk-emu0001d"]) == "InvalidParameterConflict"
    assert code() == "InvalidParameter.SpecifyOneParameter"
    assert code(SnapshotIds=["snap-zzzzzzzz"]) == "InvalidParameter.SnapshotNotFound"
    assert code(SnapshotIds=[snapshots["DATA_DISK"]]) == "InvalidParameter.SystemSnapshotNotFound"
    assert code(SnapshotIds=both, ImageName="from-snapshots") == "InvalidImageName.Duplicate"


def test_a_dry_run_that_passes_answers_only_a_request_id_and_does_nothing(
    emulator: Any, cvm_client: CvmClient, instance_of: Callable, error_code: ErrorCode
) -> None:
    request = {"InstanceId": RUNNING, "ImageName": "dry", "DryRun": True, "ForcePoweroff": "true"}
    assert set(cvm_client.call_json("CreateImage", request)["Response"]) == {"RequestId"}
    assert error_code(lambda: _create(cvm_client, InstanceId="ins-zzzzzzzz", ImageName="dry", DryRun=True)) == (
        "InvalidInstanceId.NotFound")
    assert emulator.control.state()["images"] == []
    assert instance_of(RUNNING)["InstanceState"] == "RUNNING" and instance_of(RUNNING).get("LatestOperation") is None


@pytest.mark.parametrize(
    ("state", "code"),
    [
        ("STARTING", "UnsupportedOperation.InstanceStateStarting"),
        ("STOPPING", "UnsupportedOperation.InstanceStateStopping"),
        ("REBOOTING", "UnsupportedOperation.InstanceStateRebooting"),
        ("TERMINATING", "UnsupportedOperation.InstanceStateTerminating"),
        ("PENDING", "OperationDenied.InstanceOperationInProgress"),
        ("RESCUE_MODE", "UnsupportedOperation.InstanceStateRescueMode"),
        ("ENTER_SERVICE_LIVE_MIGRATE", "UnsupportedOperation.InstanceStateEnterServiceLiveMigrate"),
        ("EXIT_SERVICE_LIVE_MIGRATE", "InvalidInstance.NotSupported"),  # CreateImage lists no code for it
        ("LAUNCH_FAILED", "InvalidInstance.NotSupported"),
        ("SHUTDOWN", "InvalidInstance.NotSupported"),
    ],
)
def test_instance_states_that_cannot_be_imaged_today(
    emulator: Any, cvm_client: CvmClient, error_code: ErrorCode, state: str, code: str
) -> None:
    emulator.control.patch_instance(STOPPED, InstanceState=state)
    assert error_code(lambda: _create(cvm_client, InstanceId=STOPPED, ImageName="nope")) == code


def test_an_image_task_is_still_a_mutex(emulator: Any, cvm_client: CvmClient, error_code: ErrorCode) -> None:
    _create(cvm_client, InstanceId=RUNNING, ImageName="first")
    assert error_code(lambda: _create(cvm_client, InstanceId=RUNNING, ImageName="second")) == (
        "MutexOperation.TaskRunning")


@pytest.mark.parametrize(
    ("disk_id", "code"),
    [("disk-emu0001s", "InvalidParameter.DataDiskIdContainsRootDisk"),
     ("disk-emu0002d", "InvalidParameter.DataDiskNotBelongSpecifiedInstance")],
)
def test_data_disk_ids_today(
    emulator: Any, cvm_client: CvmClient, error_code: ErrorCode, disk_id: str, code: str
) -> None:
    assert error_code(lambda: _create(cvm_client, InstanceId=STOPPED, ImageName="d", DataDiskIds=[disk_id])) == code


def _spec(*tags: tuple[str, str]) -> list[dict[str, Any]]:
    return [{"ResourceType": "image", "Tags": [{"Key": key, "Value": value} for key, value in tags]}]


@pytest.mark.parametrize(
    ("tags", "code"),
    [
        ((("bad#key", "v"),), "FailedOperation.IllegalTagKey"),
        ((("k" * 128, "v"),), "FailedOperation.IllegalTagKey"),
        ((("qcloud:owner", "v"),), "FailedOperation.TagKeyReserved"),
        ((("team", "web!"),), "FailedOperation.IllegalTagValue"),
        ((("team", "a"), ("team", "b")), "InvalidParameterValue.DuplicateTags"),
        (tuple((f"k{i}", "v") for i in range(51)), "InvalidParameterValue.TagQuotaLimitExceeded"),
    ],
)
def test_tag_specification_follows_the_tag_rules_today(
    emulator: Any, cvm_client: CvmClient, error_code: ErrorCode, tags: tuple[tuple[str, str], ...], code: str
) -> None:
    assert error_code(lambda: _create(cvm_client, InstanceId=STOPPED, ImageName="t",
                                      TagSpecification=_spec(*tags))) == code
    emulator.control.set_config(api_era="2018")  # the 2018 era never checked tags
    assert _create(cvm_client, InstanceId=STOPPED, ImageName="t", TagSpecification=_spec(*tags))
