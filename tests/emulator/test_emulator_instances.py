"""Instance actions and their time-driven states."""

from collections.abc import Callable
from typing import Any

import pytest
from tencentcloud.cvm.v20170312 import models
from tencentcloud.cvm.v20170312.cvm_client import CvmClient

ErrorCode = Callable[[Callable[[], Any]], str]


def _ids_request(model: type, *instance_ids: str) -> Any:
    request = model()
    request.InstanceIds = list(instance_ids)
    return request


def _run(client: CvmClient, **fields: Any) -> list[str]:
    request = models.RunInstancesRequest()
    request._deserialize({"Placement": {"Zone": "ap-guangzhou-3"}, **fields})
    return client.RunInstances(request).InstanceIdSet


def test_seeded_instances(emulator: Any, cvm_client: CvmClient) -> None:
    response = cvm_client.DescribeInstances(models.DescribeInstancesRequest())
    seen = {i.InstanceId: (i.InstanceName, i.InstanceState, i.Placement.Zone) for i in response.InstanceSet}
    assert seen == {
        "ins-emu00001": ("builder-web", "STOPPED", "ap-guangzhou-3"),
        "ins-emu00002": ("builder-api", "RUNNING", "ap-guangzhou-3"),
        "ins-emu00003": ("builder-batch", "RUNNING", "ap-guangzhou-3"),
    }
    first = response.InstanceSet[-1]  # newest first: ins-emu00001 is the oldest
    assert (first.SystemDisk.DiskType, first.SystemDisk.DiskSize) == ("CLOUD_PREMIUM", 50)
    assert [(d.DiskId, d.DiskSize) for d in first.DataDisks] == [("disk-emu0001d", 100)]


def test_run_instances_pending_then_running(
    emulator: Any, cvm_client: CvmClient, instance_of: Callable, wait_until: Callable
) -> None:
    ids = _run(cvm_client, InstanceCount=2, InstanceName="fresh", InstanceType="S5.SMALL2",
               SystemDisk={"DiskType": "CLOUD_SSD", "DiskSize": 60},
               DataDisks=[{"DiskType": "CLOUD_SSD", "DiskSize": 200}],
               TagSpecification=[{"ResourceType": "instance", "Tags": [{"Key": "env", "Value": "test"}]}])
    assert len(ids) == 2 and all(i.startswith("ins-") and len(i) == 12 for i in ids)
    instance = instance_of(ids[0])
    assert instance["InstanceState"] == "PENDING" and instance["InstanceName"] == "fresh"
    assert instance["SystemDisk"]["DiskSize"] == 60 and instance["DataDisks"][0]["DiskSize"] == 200
    assert instance["Tags"] == [{"Key": "env", "Value": "test"}]
    assert wait_until(lambda: instance_of(ids[0])["InstanceState"] == "RUNNING", timeout=2)


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"Placement": {}}, "MissingParameter"),
        ({"Placement": {"Zone": "ap-shanghai-2"}}, "InvalidZone.MismatchRegion"),
        ({"ImageId": "img-zzzzzzzz"}, "InvalidImageId.NotFound"),
        ({"SystemDisk": {"DiskType": "FLOPPY"}}, "InvalidParameterValue"),
        ({"InstanceCount": 0}, "InvalidParameterValue"),
        ({"DryRun": True, "Placement": {"Zone": "ap-shanghai-2"}}, "InvalidZone.MismatchRegion"),
    ],
)
def test_run_instances_rejections(
    emulator: Any, cvm_client: CvmClient, error_code: ErrorCode, fields: dict[str, Any], code: str
) -> None:
    assert error_code(lambda: cvm_client.call_json(
        "RunInstances", {"Placement": {"Zone": "ap-guangzhou-3"}, **fields})) == code


def test_a_dry_run_that_passes_answers_only_a_request_id(emulator: Any, cvm_client: CvmClient) -> None:
    """RunInstances documents it: "if the check passes, the RequestId is returned"."""
    answer = cvm_client.call_json("RunInstances", {"Placement": {"Zone": "ap-guangzhou-3"}, "DryRun": True})
    assert set(answer["Response"]) == {"RequestId"}
    assert len(emulator.control.state()["instances"]) == 3


def test_describe_instances_filters_and_pages(emulator: Any, cvm_client: CvmClient, error_code: ErrorCode) -> None:
    def ids(**fields: Any) -> list[str]:
        request = models.DescribeInstancesRequest()
        request._deserialize(fields)
        return [i.InstanceId for i in cvm_client.DescribeInstances(request).InstanceSet]

    assert ids(Filters=[{"Name": "instance-name", "Values": ["builder-api"]}]) == ["ins-emu00002"]
    assert ids(Filters=[{"Name": "instance-id", "Values": ["ins-emu00001", "ins-emu00003"]}]) == [
        "ins-emu00003", "ins-emu00001"]
    assert ids(Filters=[{"Name": "zone", "Values": ["ap-guangzhou-4"]}]) == []
    assert ids(InstanceIds=["ins-emu00003", "ins-zzzzzzzz"]) == ["ins-emu00003"]
    assert ids(Offset=1, Limit=1) == ["ins-emu00002"]
    too_many = models.DescribeInstancesRequest()
    too_many.Limit = 101
    assert error_code(lambda: cvm_client.DescribeInstances(too_many)) == "InvalidParameterValue"


def test_describe_instances_is_newest_first_whatever_the_order_of_ids(
    emulator: Any, cvm_client: CvmClient, error_code: ErrorCode
) -> None:
    """As recorded: the newest CreatedTime first, for a listing and for InstanceIds alike; at most 100 ids."""
    fresh = _run(cvm_client)[0]
    request = _ids_request(models.DescribeInstancesRequest, "ins-emu00001", fresh, "ins-emu00002")
    assert [i.InstanceId for i in cvm_client.DescribeInstances(request).InstanceSet] == [
        fresh, "ins-emu00002", "ins-emu00001"]
    listed = cvm_client.DescribeInstances(models.DescribeInstancesRequest()).InstanceSet
    assert [i.InstanceId for i in listed] == [fresh, "ins-emu00003", "ins-emu00002", "ins-emu00001"]
    many = _ids_request(models.DescribeInstancesRequest, *(f"ins-{n:08d}" for n in range(101)))
    assert error_code(lambda: cvm_client.DescribeInstances(many)) == "InvalidParameterValue.LimitExceeded"
    stop_many = _ids_request(models.StopInstancesRequest, *(f"ins-{n:08d}" for n in range(101)))
    assert error_code(lambda: cvm_client.StopInstances(stop_many)) == "InvalidParameterValue.LimitExceeded"


def test_stop_start_cycle(emulator: Any, cvm_client: CvmClient, instance_of: Callable, wait_until: Callable) -> None:
    cvm_client.StopInstances(_ids_request(models.StopInstancesRequest, "ins-emu00002"))
    assert instance_of("ins-emu00002")["InstanceState"] == "STOPPING"
    wait_until(lambda: instance_of("ins-emu00002")["InstanceState"] == "STOPPED", timeout=2)
    cvm_client.StartInstances(_ids_request(models.StartInstancesRequest, "ins-emu00002"))
    assert instance_of("ins-emu00002")["InstanceState"] == "STARTING"
    wait_until(lambda: instance_of("ins-emu00002")["InstanceState"] == "RUNNING", timeout=2)
    started = cvm_client.StartInstances(_ids_request(models.StartInstancesRequest, "ins-emu00001"))
    instance = instance_of("ins-emu00001")
    assert (instance["LatestOperation"], instance["LatestOperationRequestId"]) == ("StartInstances", started.RequestId)
    assert instance["LatestOperationErrorMsg"] == ""
    assert instance_of("ins-emu00002")["LatestOperation"] == "StartInstances"
    assert instance_of("ins-emu00002")["LatestOperationState"] == "SUCCESS"


def test_terminate_then_gone(emulator: Any, cvm_client: CvmClient, instance_of: Callable, wait_until: Callable) -> None:
    cvm_client.TerminateInstances(_ids_request(models.TerminateInstancesRequest, "ins-emu00001"))
    assert instance_of("ins-emu00001")["InstanceState"] == "TERMINATING"
    wait_until(lambda: instance_of("ins-emu00001") is None, timeout=2)
    assert "ins-emu00001" not in [i["InstanceId"] for i in emulator.control.state()["instances"]]


@pytest.mark.parametrize(
    ("model", "instance_id", "state", "code"),
    [
        (models.StartInstancesRequest, "ins-emu00002", None, "UnsupportedOperation.InstanceStateRunning"),
        (models.StopInstancesRequest, "ins-emu00001", None, "UnsupportedOperation.InstanceStateStopped"),
        (models.StopInstancesRequest, "ins-zzzzzzzz", None, "InvalidInstanceId.NotFound"),
        (models.TerminateInstancesRequest, "ins_bad", None, "InvalidInstanceId.Malformed"),
        # Each action answers a refused state with a code its documented list holds, else InvalidInstance.NotSupported.
        (models.StopInstancesRequest, "ins-emu00002", "RESCUE_MODE", "UnsupportedOperation.InstanceStateRescueMode"),
        (models.StopInstancesRequest, "ins-emu00002", "EXIT_SERVICE_LIVE_MIGRATE",
         "UnsupportedOperation.InstanceStateExitServiceLiveMigrate"),
        (models.StopInstancesRequest, "ins-emu00002", "LAUNCH_FAILED", "InvalidInstance.NotSupported"),
        (models.StartInstancesRequest, "ins-emu00002", "SERVICE_LIVE_MIGRATE",
         "UnsupportedOperation.InstanceStateServiceLiveMigrate"),
        (models.StartInstancesRequest, "ins-emu00002", "ENTER_SERVICE_LIVE_MIGRATE", "InvalidInstance.NotSupported"),
        (models.StartInstancesRequest, "ins-emu00002", "SHUTDOWN", "UnsupportedOperation.InstanceStateShutdown"),
    ],
)
def test_power_actions_in_the_wrong_state(
    emulator: Any, cvm_client: CvmClient, error_code: ErrorCode, model: type, instance_id: str, state: str | None,
    code: str,
) -> None:
    if state is not None:
        emulator.control.patch_instance(instance_id, InstanceState=state)
    assert error_code(lambda: getattr(cvm_client, model.__name__.removesuffix("Request"))(
        _ids_request(model, instance_id))) == code


def test_transitional_states_refuse_power_actions(
    emulator: Any, cvm_client: CvmClient, error_code: ErrorCode, create_image: Callable
) -> None:
    cvm_client.StopInstances(_ids_request(models.StopInstancesRequest, "ins-emu00003"))
    assert error_code(lambda: cvm_client.StartInstances(_ids_request(models.StartInstancesRequest, "ins-emu00003"))
                      ) == "UnsupportedOperation.InstanceStateStopping"
    create_image("ins-emu00001", "busy")
    assert error_code(lambda: cvm_client.StartInstances(_ids_request(models.StartInstancesRequest, "ins-emu00001"))
                      ) == "OperationDenied.InstanceOperationInProgress"
