"""The signed JSON protocol: signatures, common errors, parameter validation, robustness."""

import hashlib
import socket
import time
import uuid
from datetime import datetime, timezone
from types import SimpleNamespace
from collections.abc import Callable
from typing import Any

import pytest
import requests
from requests.structures import CaseInsensitiveDict
from tencentcloud.common import abstract_client
from tencentcloud.common.credential import Credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.common.sign import Sign
from tencentcloud.cvm.v20170312 import models
from tencentcloud.cvm.v20170312.cvm_client import CvmClient

from emulator import responses

ErrorCode = Callable[[Callable[[], Any]], str]


def _client(emulator: Any, secret_id: str, secret_key: str, region: str = "ap-guangzhou") -> CvmClient:
    profile = ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=emulator.endpoint))
    return CvmClient(Credential(secret_id, secret_key), region, profile)


def _signed_post(
    emulator: Any, action: str, body: bytes, signed: dict[str, str], timestamp: int | None = None,
    secret_key: str | None = None, extra: dict[str, str] | None = None, sent_body: bytes | None = None,
) -> dict[str, Any]:
    """POST signed by hand with the SDK's Sign.sign_tc3 over the given `signed` headers (host is added)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    date = datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d")
    headers = {"host": emulator.endpoint, **signed}
    names = sorted(headers)
    canonical = "POST\n/\n\n" + "".join(f"{n}:{headers[n].strip().lower()}\n" for n in names)
    canonical += "\n" + ";".join(names) + "\n" + hashlib.sha256(body).hexdigest()
    to_sign = f"TC3-HMAC-SHA256\n{timestamp}\n{date}/cvm/tc3_request\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    sig = Sign.sign_tc3(secret_key or emulator.secret_key, date, "cvm", to_sign)
    authorization = (
        f"TC3-HMAC-SHA256 Credential={emulator.secret_id}/{date}/cvm/tc3_request, "
        f"SignedHeaders={';'.join(names)}, Signature={sig}"
    )
    sent = CaseInsensitiveDict({
        "Content-Type": "application/json", "X-TC-Action": action, "X-TC-Version": "2017-03-12",
        "X-TC-Region": emulator.region, "X-TC-Timestamp": str(timestamp), "Authorization": authorization,
    })
    sent.update(signed)
    sent.update(extra or {})
    response = requests.post(emulator.url + "/", data=body if sent_body is None else sent_body, headers=sent, timeout=5)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    return response.json()["Response"]


def test_sdk_call_answers_with_request_id_and_exact_content_type(emulator: Any, cvm_client: CvmClient) -> None:
    response = cvm_client.DescribeImageQuota(models.DescribeImageQuotaRequest())
    assert response.ImageNumQuota == 500
    assert uuid.UUID(response.RequestId).version == 4


def test_wrong_secret_key_is_a_signature_failure(emulator: Any, error_code: ErrorCode) -> None:
    client = _client(emulator, emulator.secret_id, "not-the-key")
    assert error_code(lambda: client.DescribeImageQuota(models.DescribeImageQuotaRequest())) == (
        "AuthFailure.SignatureFailure")


def test_unknown_secret_id_is_not_found(emulator: Any, error_code: ErrorCode) -> None:
    client = _client(emulator, "AKIDUNKNOWN", emulator.secret_key)
    assert error_code(lambda: client.DescribeImageQuota(models.DescribeImageQuotaRequest())) == (
        "AuthFailure.SecretIdNotFound")


def test_skewed_client_clock_is_an_expired_signature(
    emulator: Any, cvm_client: CvmClient, monkeypatch: pytest.MonkeyPatch, error_code: ErrorCode
) -> None:
    monkeypatch.setattr(abstract_client, "time", SimpleNamespace(time=lambda: time.time() - 301))
    assert error_code(lambda: cvm_client.DescribeImageQuota(models.DescribeImageQuotaRequest())) == (
        "AuthFailure.SignatureExpire")


def test_hand_signed_request_with_extra_signed_headers_and_token_is_accepted(emulator: Any) -> None:
    signed = {"content-type": "application/json", "x-tc-action": "DescribeImageQuota"}
    answer = _signed_post(emulator, "DescribeImageQuota", b"{}", signed, extra={"X-TC-Token": "temporary-token"})
    assert answer.get("ImageNumQuota") == 500, answer


def test_changing_a_signed_header_after_signing_fails(emulator: Any) -> None:
    signed = {"content-type": "application/json", "x-tc-region": "ap-guangzhou"}
    answer = _signed_post(emulator, "DescribeImageQuota", b"{}", signed, extra={"X-TC-Region": "ap-shanghai"})
    assert answer["Error"]["Code"] == "AuthFailure.SignatureFailure"


def test_changed_body_fails_the_signature(emulator: Any) -> None:
    answer = _signed_post(
        emulator, "DescribeImageQuota", b"{}", {"content-type": "application/json"}, sent_body=b'{"Limit": 1}'
    )
    assert answer["Error"]["Code"] == "AuthFailure.SignatureFailure"


def test_expired_hand_signed_request(emulator: Any) -> None:
    answer = _signed_post(emulator, "DescribeImageQuota", b"{}", {"content-type": "application/json"},
                          timestamp=int(time.time()) - 3600)
    assert answer["Error"]["Code"] == "AuthFailure.SignatureExpire"


@pytest.mark.parametrize("authorization", [None, "", "Bearer abc", "TC3-HMAC-SHA256 Credential=x, Signature=zz"])
def test_missing_or_garbled_authorization(emulator: Any, authorization: str | None) -> None:
    headers = {"Content-Type": "application/json", "X-TC-Action": "DescribeImageQuota", "X-TC-Version": "2017-03-12",
               "X-TC-Region": "ap-guangzhou", "X-TC-Timestamp": str(int(time.time()))}
    if authorization is not None:
        headers["Authorization"] = authorization
    response = requests.post(emulator.url + "/", data=b"{}", headers=headers, timeout=5)
    assert response.json()["Response"]["Error"]["Code"] == "AuthFailure.InvalidAuthorization"


def test_wrong_version_is_no_such_version(emulator: Any) -> None:
    signed = {"content-type": "application/json"}
    answer = _signed_post(emulator, "DescribeImageQuota", b"{}", signed, extra={"X-TC-Version": "2018-01-01"})
    assert answer["Error"]["Code"] == "NoSuchVersion"


def test_unknown_action(emulator: Any, cvm_client: CvmClient, error_code: ErrorCode) -> None:
    assert error_code(lambda: cvm_client.call_json("LaunchRocket", {})) == "InvalidAction"


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"InstanceId": "ins-emu00001", "ImageName": "a", "Colour": "red"}, "UnknownParameter"),
        ({"InstanceId": "ins-emu00001", "ImageName": "a", "TagSpecification": [{"ResourceType": "image",
          "Tags": [{"Key": "k", "Value": "v", "Extra": 1}]}]}, "UnknownParameter"),
        ({"InstanceId": "ins-emu00001"}, "MissingParameter"),
        ({"ImageName": "a"}, "InvalidParameter.SpecifyOneParameter"),  # today: InstanceId or SnapshotIds
        ({"ImageName": "a", "InstanceId": "ins-emu00001", "Reboot": "true"}, "UnknownParameter"),  # gone since 2019
        ({"InstanceId": 7, "ImageName": "a"}, "InvalidParameter"),  # a wrong type is InvalidParameter (recorded)
        ({"InstanceId": "ins-emu00001", "ImageName": "a", "DataDiskIds": "disk-emu0001d"}, "InvalidParameter"),
        ({"InstanceId": "ins-emu00001", "ImageName": "a", "DryRun": "perhaps"}, "InvalidParameter"),
        ({"InstanceId": "ins-emu00001", "ImageName": "a", "TagSpecification": {}}, "InvalidParameter"),
        ({"InstanceId": "ins-emu00001", "ImageName": "a", "ForcePoweroff": "maybe"}, "InvalidParameterValue"),
    ],
)
def test_parameter_validation(
    emulator: Any, cvm_client: CvmClient, params: dict[str, Any], code: str, error_code: ErrorCode
) -> None:
    assert error_code(lambda: cvm_client.call_json("CreateImage", params)) == code


def test_the_recorded_wrong_type_answer(emulator: Any, cvm_client: CvmClient) -> None:
    """Cloud Custodian's recording: StopInstances with `"InstanceIds": "hello"` answers InvalidParameter naming the
    parameter."""
    with pytest.raises(TencentCloudSDKException) as caught:
        cvm_client.call_json("StopInstances", {"InstanceIds": "hello"})
    assert caught.value.code == "InvalidParameter" and "`InstanceIds`" in caught.value.message


def test_malformed_json_body_is_an_invalid_parameter(emulator: Any) -> None:
    for body in (b"{not json", b"[1, 2]", b"\xff\xfe{}"):
        answer = _signed_post(emulator, "DescribeImageQuota", body, {"content-type": "application/json"})
        assert answer["Error"]["Code"] == "InvalidParameter"


def test_unexpected_exception_is_a_short_internal_error(
    emulator: Any, cvm_client: CvmClient, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(*_: Any) -> dict[str, Any]:
        raise RuntimeError("secret internals")

    monkeypatch.setitem(responses.ACTIONS, "DescribeImageQuota", responses.Action(broken, responses.Obj({})))
    with pytest.raises(Exception) as caught:
        cvm_client.DescribeImageQuota(models.DescribeImageQuotaRequest())
    assert caught.value.code == "InternalError"
    assert "secret internals" not in caught.value.message and "Traceback" not in caught.value.message
    assert "RuntimeError: secret internals" in capsys.readouterr().err


@pytest.mark.parametrize(
    "raw",
    [
        b"GARBAGE\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: banana\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Type: application/json\r\n\r\n\xff\xfe\x00",
        b"POST /_emulator/faults HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n{oops",
    ],
)
def test_bad_requests_get_a_quick_answer_without_a_traceback(emulator: Any, raw: bytes) -> None:
    host, port = emulator.endpoint.split(":")
    with socket.create_connection((host, int(port)), timeout=5) as connection:
        connection.sendall(raw)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    assert answer
    assert b"Traceback" not in answer


def test_error_body_shape(emulator: Any) -> None:
    answer = _signed_post(emulator, "NoSuchThing", b"{}", {"content-type": "application/json"})
    assert set(answer) == {"Error", "RequestId"}
    assert set(answer["Error"]) == {"Code", "Message"}
    assert answer["Error"]["Code"] == "InvalidAction"
    assert isinstance(answer["Error"]["Message"], str) and "NoSuchThing" in answer["Error"]["Message"]
    assert str(uuid.UUID(answer["RequestId"])) == answer["RequestId"]
