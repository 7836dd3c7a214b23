"""allowedAccountIds / forbiddenAccountIds: the provider asks STS whose credentials it has (GetCallerIdentity, once per
process) and sends no call under another account, so it changes nothing there; preview calls no API at all."""

import pytest

from components.cloud.errors import CvmImageError
from emulator.config import ACCOUNT_UIN, SECOND_ACCOUNT_UIN
from tests.components.credential_helpers import SECOND_KEY, SECOND_ROLE, create, key_of, provider_with, signed
from tests.components.emulator_helpers import today_without_lags

RUNNING = "ins-emu00002"
SECOND_ACCOUNT = {"secretId": SECOND_KEY[0], "secretKey": SECOND_KEY[1]}


@pytest.fixture(autouse=True)
def quick(emulator, no_credentials):
    today_without_lags(emulator)


def refusal(call) -> str:
    with pytest.raises(CvmImageError) as raised:
        call()
    return str(raised.value)


def test_the_allowed_account_works_and_is_asked_for_once_per_process(emulator):
    provider = provider_with(emulator, **key_of(emulator), allowedAccountIds=[ACCOUNT_UIN])

    made = create(provider)
    provider.delete(made.id, made.outs)
    create(provider, image_name="api-base")

    assert [call.action for call in signed(emulator)].count("GetCallerIdentity") == 1


@pytest.mark.parametrize(
    ("credentials", "rule", "key"),
    [
        (SECOND_ACCOUNT, {"allowedAccountIds": [ACCOUNT_UIN]}, "tencentcloud:allowedAccountIds"),
        ({}, {"forbiddenAccountIds": [ACCOUNT_UIN, "300000000001"]}, "tencentcloud:forbiddenAccountIds"),
    ],
)
def test_a_refused_account_changes_nothing_and_is_named(emulator, credentials, rule, key):
    provider = provider_with(emulator, **(credentials or key_of(emulator)), **rule)
    account = SECOND_ACCOUNT_UIN if credentials else ACCOUNT_UIN

    message = refusal(lambda: create(provider, instance_id=RUNNING, reboot=True))

    assert message.startswith("CreateImage for image 'web-base' in ap-guangzhou was refused: the credentials (")
    assert f"belong to Tencent Cloud account {account}, which `{key}`" in message
    assert "DescribeInstances was not sent: no call reaches that account, so nothing was changed" in message
    assert [call.action for call in signed(emulator)] == ["GetCallerIdentity"]
    assert emulator.control.state()["images"] == []
    assert next(i for i in emulator.control.state()["instances"] if i["InstanceId"] == RUNNING)["InstanceState"] == "RUNNING"


def test_an_assumed_roles_account_is_the_one_checked(emulator):
    provider = provider_with(emulator, **key_of(emulator), assumeRole={"roleArn": SECOND_ROLE, "sessionName": "ci"},
                             allowedAccountIds=[ACCOUNT_UIN])

    message = refusal(lambda: create(provider))

    assert f"role {SECOND_ROLE} (`tencentcloud:assumeRole`)" in message and f"account {SECOND_ACCOUNT_UIN}," in message


def test_renames_tag_changes_and_deletes_are_refused_too(emulator):
    made = create(provider_with(emulator, **key_of(emulator)))
    emulator.control.clear_requests()
    provider = provider_with(emulator, **SECOND_ACCOUNT, allowedAccountIds=[ACCOUNT_UIN])

    renamed = {**made.outs, "image_name": "renamed", "tags": {"team": "web"}}
    for call in (lambda: provider.update(made.id, made.outs, renamed), lambda: provider.delete(made.id, made.outs)):
        assert f"account {SECOND_ACCOUNT_UIN}" in refusal(call)

    assert [call.action for call in signed(emulator)] == ["GetCallerIdentity"]
    [image] = emulator.control.state()["images"]
    assert image["ImageName"] == "web-base"


def test_preview_calls_no_api_and_a_refresh_is_refused_too(emulator):
    made = create(provider_with(emulator, **key_of(emulator)))
    emulator.control.clear_requests()
    provider = provider_with(emulator, **SECOND_ACCOUNT, allowedAccountIds=[ACCOUNT_UIN])

    provider.check(made.outs, {**made.outs, "image_name": "renamed"})
    provider.diff(made.id, made.outs, {**made.outs, "image_name": "renamed"})
    assert signed(emulator) == []
    assert f"account {SECOND_ACCOUNT_UIN}" in refusal(lambda: provider.read(made.id, made.outs))
    assert [call.action for call in signed(emulator)] == ["GetCallerIdentity"]
