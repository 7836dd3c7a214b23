"""Fault injection as the SDK sees it, the request log, and the control API's answers to bad calls."""

import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier
from typing import Any

import pytest
from tencentcloud.common.credential import Credential
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.cvm.v20170312 import models
from tencentcloud.cvm.v20170312.cvm_client import CvmClient

from emulator.control import ControlError

ErrorCode = Callable[[Callable[[], Any]], str]
CREATE = {"InstanceId": "ins-emu00001", "ImageName": "faulty"}


def _quota(client: CvmClient) -> int:
    return client.DescribeImageQuota(models.DescribeImageQuotaRequest()).ImageNumQuota


@pytest.mark.parametrize(
    ("kind", "code"),
    [("throttle", "RequestLimitExceeded"), ("internal_error", "InternalError"), ("http_500", "ServerNetworkError")],
)
def test_error_faults(emulator: Any, cvm_client: CvmClient, error_code: ErrorCode, kind: str, code: str) -> None:
    emulator.control.set_faults([{"action": "CreateImage", "kind": kind, "count": 2}])
    assert _quota(cvm_client) == 500  # another action is untouched
    assert error_code(lambda: cvm_client.call_json("CreateImage", CREATE)) == code
    assert error_code(lambda: cvm_client.call_json("CreateImage", CREATE)) == code
    assert emulator.control.state()["images"] == []
    assert cvm_client.call_json("CreateImage", CREATE)["Response"]["ImageId"]  # count used up


def test_drop_does_not_apply_the_action(emulator: Any, cvm_client: CvmClient, error_code: ErrorCode) -> None:
    emulator.control.set_faults([{"action": "CreateImage", "kind": "drop"}])
    assert error_code(lambda: cvm_client.call_json("CreateImage", CREATE)) == "ClientNetworkError"
    assert emulator.control.state()["images"] == []


def test_lose_response_applies_the_action(emulator: Any, cvm_client: CvmClient, error_code: ErrorCode) -> None:
    emulator.control.set_faults([{"kind": "lose_response", "count": 1}])
    assert error_code(lambda: cvm_client.call_json("CreateImage", CREATE)) == "ClientNetworkError"
    assert [image["ImageName"] for image in emulator.control.state()["images"]] == ["faulty"]
    assert error_code(lambda: cvm_client.call_json("CreateImage", CREATE)) == "InvalidImageName.Duplicate"


def test_delay_really_delays(emulator: Any, cvm_client: CvmClient) -> None:
    emulator.control.set_faults([{"action": "*", "kind": "delay", "seconds": 0.4}])
    started = time.monotonic()
    assert _quota(cvm_client) == 500
    assert time.monotonic() - started >= 0.4


def test_probability_zero_never_fires_and_first_match_wins(emulator: Any, cvm_client: CvmClient,
                                                           error_code: ErrorCode) -> None:
    emulator.control.set_faults([{"kind": "throttle", "probability": 0}, {"kind": "internal_error"},
                                 {"kind": "http_500"}])
    assert error_code(lambda: _quota(cvm_client)) == "InternalError"
    emulator.control.clear_faults()
    assert _quota(cvm_client) == 500


def test_request_log_records_calls_without_secrets(emulator: Any, cvm_client: CvmClient, error_code: ErrorCode) -> None:
    emulator.control.clear_requests()
    emulator.control.set_faults([{"action": "DescribeImageQuota", "kind": "throttle", "count": 1}])
    error_code(lambda: _quota(cvm_client))
    cvm_client.call_json("CreateImage", CREATE)
    log = emulator.control.requests()
    assert [(e["action"], e["region"], e["error"], e["fault"]) for e in log] == [
        ("DescribeImageQuota", "ap-guangzhou", "RequestLimitExceeded", "throttle"),
        ("CreateImage", "ap-guangzhou", None, None),
    ]
    assert log[1]["params"] == CREATE and log[1]["duration_ms"] >= 0 and log[1]["time"]
    text = json.dumps(log)
    assert emulator.secret_key not in text and "TC3-HMAC-SHA256" not in text
    emulator.control.clear_requests()
    assert emulator.control.requests() == []


def test_token_is_never_logged(emulator: Any) -> None:
    profile = ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=emulator.endpoint))
    client = CvmClient(Credential(emulator.secret_id, emulator.secret_key, token="session-token-xyz"),
                       emulator.region, profile)
    assert _quota(client) == 500
    assert "session-token-xyz" not in json.dumps(emulator.control.requests())


def test_reset_clears_faults_log_config_and_state(emulator: Any, cvm_client: CvmClient) -> None:
    emulator.control.set_config(image_quota=3)
    cvm_client.call_json("CreateImage", CREATE)
    start_seed = emulator.control.fault_seed()
    emulator.control.set_faults([{"kind": "delay", "seconds": 0.01}], seed=start_seed + 1)
    emulator.control.reset()
    assert emulator.control.requests() == [] and emulator.control.state()["images"] == []
    assert emulator.control.config()["image_quota"] == 500
    assert emulator.control._call("GET", "faults") == {"rules": [], "seed": start_seed}  # the dice start again


@pytest.mark.parametrize(
    ("call", "status"),
    [
        (lambda c: c.set_faults([{"kind": "explode"}]), 400),
        (lambda c: c.set_faults([{"kind": "throttle", "probability": 2}]), 400),
        (lambda c: c.set_faults([{"kind": "throttle", "count": 0}]), 400),
        (lambda c: c.set_config(image_quota="many"), 400),
        (lambda c: c.set_config(colour="red"), 400),
        (lambda c: c.patch_instance("ins-zzzzzzzz", soft_shutdown_fails=True), 404),
        (lambda c: c.patch_instance("ins-emu00001", InstanceState="ASLEEP"), 400),
        (lambda c: c._call("GET", "nothing-here"), 404),
    ],
)
def test_bad_control_calls(emulator: Any, call: Callable[[Any], Any], status: int) -> None:
    with pytest.raises(ControlError) as caught:
        call(emulator.control)
    assert caught.value.status == status
    assert "error" in json.loads(str(caught.value).split(": ", 1)[1])


def test_sixty_four_concurrent_requests(emulator: Any) -> None:
    emulator.control.set_faults([{"kind": "delay", "seconds": 0.5}])
    profile = ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=emulator.endpoint))
    clients = [CvmClient(Credential(emulator.secret_id, emulator.secret_key), emulator.region, profile)
               for _ in range(64)]
    barrier = Barrier(64)

    def call(client: CvmClient) -> int:
        barrier.wait()
        return _quota(client)

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=64) as pool:
        results = list(pool.map(call, clients))
    assert results == [500] * 64
    assert time.monotonic() - started < 4  # serially it would take 32 s
    assert len(emulator.control.requests()) == 64
