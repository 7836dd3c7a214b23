"""Updates in place that earlier tests only met mixed with other changes: a tag whose value alone changes, and every
share removed in the same update as a rename (a shared image cannot be renamed, so the shares go first)."""

from tests.components.conftest import images_in
from tests.components.emulator_helpers import STOPPED, calls, today_without_lags

ALICE = "100000000002"


def image_named(emulator, image_id: str) -> dict:
    return next(image for image in images_in(emulator) if image["ImageId"] == image_id)


def test_a_tag_whose_value_alone_changes_is_set_through_the_tag_api(provider, checked, emulator):
    today_without_lags(emulator)
    created = provider.create(checked(instance_id=STOPPED, image_name="web-base", tags={"team": "infra", "env": "dev"}))
    news = checked(instance_id=STOPPED, image_name="web-base", tags={"team": "platform", "env": "dev"})
    emulator.control.clear_requests()

    updated = provider.update(created.id, created.outs, news)

    assert updated.outs["image_id"] == created.id
    [tagging] = [r for r in calls(emulator) if r["service"] == "tag"]
    assert tagging["action"] == "TagResources"
    assert tagging["params"]["Tags"] == [{"TagKey": "team", "TagValue": "platform"}]
    assert tagging["params"]["ResourceList"] == [f"qcs::cvm:ap-guangzhou:uin/:image/{created.id}"]
    live = {tag["Key"]: tag["Value"] for tag in image_named(emulator, created.id)["Tags"]}
    assert (live["team"], live["env"]) == ("platform", "dev")
    assert provider.read(created.id, updated.outs).outs["tags"] == {"team": "platform", "env": "dev"}


def test_removing_every_share_and_renaming_in_one_update(provider, checked, emulator):
    today_without_lags(emulator)
    created = provider.create(checked(instance_id=STOPPED, image_name="web-base", share_with_accounts=[ALICE]))
    assert calls(emulator, "ModifyImageSharePermission")[-1]["params"]["Permission"] == "SHARE"
    emulator.control.clear_requests()

    updated = provider.update(created.id, created.outs, checked(instance_id=STOPPED, image_name="web-renamed"))

    assert updated.outs["image_id"] == created.id
    assert image_named(emulator, created.id)["ImageName"] == "web-renamed"
    [unshare] = calls(emulator, "ModifyImageSharePermission")
    assert (unshare["params"]["Permission"], unshare["params"]["AccountIds"]) == ("CANCEL", [ALICE])
    rename = calls(emulator, "ModifyImageAttribute")
    assert [r["error"] for r in rename] == [None] and calls(emulator).index(unshare) < calls(emulator).index(rename[0])
    assert image_named(emulator, created.id)["SharedWith"] == []
