"""Answer shapes as Tencent Cloud's recorded answers show them (Cloud Custodian's cassettes, 2022)."""

from typing import Any

from tencentcloud.cvm.v20170312.cvm_client import CvmClient

from tests.emulator.sdk import call


def _raw_instance(client: CvmClient, instance_id: str) -> dict[str, Any]:
    """As sent, nulls included (the SDK's models drop them)."""
    return client.call_json("DescribeInstances", {"InstanceIds": [instance_id]})["Response"]["InstanceSet"][0]


def test_an_instance_never_operated_on_has_no_latest_operation(emulator: Any, cvm_client: CvmClient) -> None:
    instance = _raw_instance(cvm_client, "ins-emu00003")
    assert {key: instance[key] for key in instance if key.startswith("LatestOperation")} == {
        "LatestOperation": None, "LatestOperationState": None, "LatestOperationRequestId": None,
        "LatestOperationErrorMsg": None}
    assert (instance["CPU"], instance["Memory"], instance["InstanceChargeType"]) == (2, 4, "POSTPAID_BY_HOUR")
    assert (instance["RenewFlag"], instance["ExpiredTime"], instance["RestrictState"]) == (None, None, "NORMAL")
    assert instance["CreatedTime"] == "2024-01-01T00:03:00Z"  # ...Z, as the service sends it
    assert instance["StopChargingMode"] == "NOT_APPLICABLE"  # not stopped
    assert _raw_instance(cvm_client, "ins-emu00001")["StopChargingMode"] == "KEEP_CHARGING"  # stopped: the default


def test_sync_percent_is_null_unless_syncing(emulator: Any, cvm_client: CvmClient, golden: str) -> None:
    def percent() -> Any:
        return call(cvm_client, "DescribeImages", ImageIds=[golden]).ImageSet[0].SyncPercent

    assert percent() is None  # NORMAL, as recorded on every NORMAL image
    emulator.control.set_config(image_copy_seconds=60)
    call(cvm_client, "SyncImages", ImageIds=[golden], DestinationRegions=["ap-shanghai"])
    assert 0 <= percent() < 10
