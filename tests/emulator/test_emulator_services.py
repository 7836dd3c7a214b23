"""Two services on one port: requests go to CVM or the Tag API by the service they are signed for; tccli's way of
reaching the emulator; the request log and faults for both services."""

import hashlib
import json
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import pytest
import requests
from tencentcloud.common.credential import Credential
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.common.sign import Sign
from tencentcloud.cvm.v20170312.cvm_client import CvmClient
from tencentcloud.tag.v20180813.tag_client import TagClient

ErrorCode = Callable[[Callable[[], Any]], str]
READ_TAGS = {"ServiceType": "cvm", "ResourcePrefix": "instance", "ResourceIds": ["ins-emu00001"],
             "ResourceRegion": "ap-guangzhou"}
TAG_ONE = {"ResourceList": ["qcs::cvm:ap-guangzhou:uin/:instance/ins-emu00001"],
           "Tags": [{"TagKey": "role", "TagValue": "builder"}]}


def _tccli_profile(endpoint: str) -> ClientProfile:
    """What tccli builds for `--endpoint ENDPOINT` (tccli/services/*/…_client.py): the default https protocol,
    POST, TC3, and its request-client mark; the SDK sends and signs ENDPOINT literally as the Host."""
    profile = ClientProfile(httpProfile=HttpProfile(reqTimeout=60, reqMethod="POST", endpoint=endpoint),
                            signMethod="TC3-HMAC-SHA256")
    profile.request_client = "_CLI_3.1.189.1"
    return profile


@pytest.mark.parametrize("form", ["http://{endpoint}", "{endpoint}"])
def test_tccli_endpoint_forms_are_accepted(emulator: Any, form: str) -> None:
    endpoint = form.format(endpoint=emulator.endpoint)
    profile = _tccli_profile(endpoint)
    if "://" not in endpoint:
        profile.httpProfile.scheme = "http"  # without a scheme the SDK would use https, which the emulator lacks
    credential = Credential(emulator.secret_id, emulator.secret_key)
    cvm = CvmClient(credential, emulator.region, profile)
    assert cvm.call_json("DescribeImageQuota", {})["Response"]["ImageNumQuota"] == 500
    tag = TagClient(credential, "", profile)
    assert tag.call_json("DescribeResourceTagsByResourceIds", READ_TAGS)["Response"]["TotalCount"] == 0


def _signed(
    emulator: Any, service: str, action: str, version: str, host: str, region: str = "ap-guangzhou", body: bytes = b"{}"
) -> Any:
    """A POST signed by hand for `service` with the Host `host` (sent literally, as the SDK does)."""
    timestamp = int(time.time())
    date = datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d")
    canonical = f"POST\n/\n\ncontent-type:application/json\nhost:{host}\n\ncontent-type;host\n"
    canonical += hashlib.sha256(body).hexdigest()
    to_sign = f"TC3-HMAC-SHA256\n{timestamp}\n{date}/{service}/tc3_request\n"
    to_sign += hashlib.sha256(canonical.encode()).hexdigest()
    signature = Sign.sign_tc3(emulator.secret_key, date, service, to_sign)
    headers = {
        "Host": host, "Content-Type": "application/json", "X-TC-Action": action, "X-TC-Version": version,
        "X-TC-Region": region, "X-TC-Timestamp": str(timestamp),
        "Authorization": f"TC3-HMAC-SHA256 Credential={emulator.secret_id}/{date}/{service}/tc3_request, "
                         f"SignedHeaders=content-type;host, Signature={signature}",
    }
    return requests.post(emulator.url + "/", data=body, headers=headers, timeout=5).json()["Response"]


def test_the_signed_service_chooses_the_api(emulator: Any) -> None:
    quota = _signed(emulator, "cvm", "DescribeImageQuota", "2017-03-12", "cvm.tencentcloudapi.com")
    assert quota.get("ImageNumQuota") == 500, quota
    read = _signed(emulator, "tag", "DescribeResourceTags", "2018-08-13", "tag.tencentcloudapi.com")
    assert read["Error"]["Code"] == "InvalidAction"  # a tag action the emulator does not serve
    assert _signed(emulator, "tag", "DescribeImageQuota", "2018-08-13", emulator.endpoint)["Error"]["Code"] == (
        "InvalidAction")  # a CVM action signed for the tag service
    assert _signed(emulator, "tag", "TagResources", "2017-03-12", emulator.endpoint)["Error"]["Code"] == (
        "NoSuchVersion")
    # A Host that names a service must name the signed one.
    assert _signed(emulator, "tag", "TagResources", "2018-08-13", "cvm.tencentcloudapi.com")["Error"]["Code"] == (
        "AuthFailure.SignatureFailure")
    assert _signed(emulator, "cbs", "DescribeDisks", "2017-03-12", emulator.endpoint)["Error"]["Code"] == (
        "AuthFailure.InvalidAuthorization")
    # The Tag API needs no region; CVM does.
    read = json.dumps(READ_TAGS).encode()
    assert _signed(emulator, "tag", "DescribeResourceTagsByResourceIds", "2018-08-13", emulator.endpoint, region="",
                   body=read)["TotalCount"] == 0
    assert _signed(emulator, "cvm", "DescribeImageQuota", "2017-03-12", emulator.endpoint, region="")["Error"][
        "Code"] == "MissingParameter"


def test_the_tag_api_needs_no_region(emulator: Any, tag_client: TagClient) -> None:
    assert tag_client.region == ""
    tag_client.call_json("TagResources", TAG_ONE)
    assert tag_client.call_json("DescribeResourceTagsByResourceIds", READ_TAGS)["Response"]["TotalCount"] == 1


def test_the_request_log_records_the_service(emulator: Any, cvm_client: CvmClient, tag_client: TagClient) -> None:
    emulator.control.clear_requests()
    cvm_client.call_json("DescribeImageQuota", {})
    tag_client.call_json("DescribeResourceTagsByResourceIds", READ_TAGS)
    log = emulator.control.requests()
    assert [(e["service"], e["action"], e["region"]) for e in log] == [
        ("cvm", "DescribeImageQuota", "ap-guangzhou"), ("tag", "DescribeResourceTagsByResourceIds", None)]


@pytest.mark.parametrize(("kind", "code"), [("throttle", "RequestLimitExceeded"), ("http_500", "ServerNetworkError")])
def test_faults_apply_to_tag_api_calls(
    emulator: Any, tag_client: TagClient, error_code: ErrorCode, kind: str, code: str
) -> None:
    emulator.control.set_faults([{"action": "TagResources", "kind": kind, "count": 1}])
    assert error_code(lambda: tag_client.call_json("TagResources", TAG_ONE)) == code
    assert tag_client.call_json("DescribeResourceTagsByResourceIds", READ_TAGS)["Response"]["TotalCount"] == 0
    tag_client.call_json("TagResources", TAG_ONE)  # the rule's count is used up
    assert tag_client.call_json("DescribeResourceTagsByResourceIds", READ_TAGS)["Response"]["TotalCount"] == 1
    assert emulator.control.requests()[0]["fault"] == kind


def test_a_lost_tag_response_still_tags(emulator: Any, tag_client: TagClient, error_code: ErrorCode) -> None:
    emulator.control.set_faults([{"action": "*", "kind": "lose_response", "count": 1}])
    assert error_code(lambda: tag_client.call_json("TagResources", TAG_ONE)) == "ClientNetworkError"
    assert tag_client.call_json("DescribeResourceTagsByResourceIds", READ_TAGS)["Response"]["TotalCount"] == 1
