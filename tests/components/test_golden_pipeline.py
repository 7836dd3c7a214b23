"""Copies, shares, family and deprecation of a CvmImage (issue 12), against the emulator through the provider."""

import pytest

from components import CvmImageProvider
from components.operations.copies import COPY_OF_TAG_KEY
from components.cloud.errors import CvmImageError
from components.families import latest_image
from tests.components.conftest import images_in
from tests.components.emulator_helpers import calls, provider_marks

STOPPED = "ins-emu00001"
ALICE, BOB, CAROL = "100000000002", "100000000003", "100000000004"

pytestmark = pytest.mark.timeout(120)


def live(emulator) -> dict[str, dict]:
    return {image["ImageId"]: image for image in images_in(emulator)}


def test_create_copies_shares_and_families_the_image(provider, checked, emulator):
    result = provider.create(
        checked(instance_id=STOPPED, image_name="gold", copy_to_regions=["ap-shanghai", "ap-beijing"],
                share_with_accounts=[ALICE, BOB], share_copies=True, image_family="web")
    )

    images = live(emulator)
    copies = result.outs["copies"]
    assert sorted(copies) == ["ap-beijing", "ap-shanghai"]
    assert images[result.id]["SharedWith"] == [ALICE, BOB] and images[result.id]["ImageFamily"] == "web"
    for region, copy_id in copies.items():
        copy = images[copy_id]
        assert (copy["Region"], copy["ImageState"], copy["ImageName"], copy["ImageFamily"]) == (region, "NORMAL", "gold", "web")
        assert sorted(copy["SharedWith"]) == [ALICE, BOB]
        tags = {tag["Key"]: tag["Value"] for tag in copy["Tags"]}
        assert tags == {**provider_marks("gold", STOPPED), COPY_OF_TAG_KEY: result.id}  # which resource made it, from what
    assert len(calls(emulator, "SyncImages")) == 1  # both regions in one request


def test_copies_are_not_shared_unless_share_copies(provider, checked, emulator):
    result = provider.create(checked(instance_id=STOPPED, image_name="gold", copy_to_regions=["ap-shanghai"], share_with_accounts=[ALICE]))

    assert live(emulator)[result.outs["copies"]["ap-shanghai"]]["SharedWith"] == []


def test_adding_and_removing_regions_and_accounts_is_in_place(provider, checked, emulator):
    created = provider.create(checked(instance_id=STOPPED, image_name="gold", copy_to_regions=["ap-shanghai"], share_with_accounts=[ALICE]))
    news = checked(instance_id=STOPPED, image_name="gold", copy_to_regions=["ap-beijing"], share_with_accounts=[BOB])
    diff = provider.diff(created.id, created.outs, news)
    assert diff.replaces == [] and diff.changes is True

    updated = provider.update(created.id, created.outs, news)

    images = live(emulator)
    assert created.outs["copies"]["ap-shanghai"] not in images
    assert images[updated.outs["copies"]["ap-beijing"]]["ImageState"] == "NORMAL"
    assert images[created.id]["SharedWith"] == [BOB]


def test_family_and_deprecation_change_in_place(provider, checked, emulator):
    created = provider.create(checked(instance_id=STOPPED, image_name="gold", copy_to_regions=["ap-shanghai"]))
    news = checked(instance_id=STOPPED, image_name="gold", copy_to_regions=["ap-shanghai"], image_family="web", deprecated=True)

    provider.update(created.id, created.outs, news)

    images = live(emulator)
    for image_id in (created.id, created.outs["copies"]["ap-shanghai"]):
        assert (images[image_id]["ImageFamily"], images[image_id]["ImageDeprecated"]) == ("web", True)


def test_a_renamed_shared_image_keeps_its_shares(provider, checked, emulator):
    props = {"instance_id": STOPPED, "copy_to_regions": ["ap-shanghai"], "share_with_accounts": [ALICE, BOB], "share_copies": True}
    created = provider.create(checked(image_name="gold", **props))

    provider.update(created.id, created.outs, checked(image_name="gold-2", **props))

    images = live(emulator)
    for image_id in (created.id, created.outs["copies"]["ap-shanghai"]):
        assert images[image_id]["ImageName"] == "gold-2"
        assert sorted(images[image_id]["SharedWith"]) == [ALICE, BOB]
    permissions = [c["params"]["Permission"] for c in calls(emulator, "ModifyImageSharePermission") if c["params"]["ImageId"] == created.id]
    assert permissions == ["SHARE", "CANCEL", "SHARE"]


def test_destroy_leaves_no_copy_and_no_share(provider, checked, emulator):
    created = provider.create(
        checked(instance_id=STOPPED, image_name="gold", copy_to_regions=["ap-shanghai", "ap-beijing"],
                share_with_accounts=[ALICE], share_copies=True)
    )

    provider.delete(created.id, created.outs)

    assert images_in(emulator) == []


def test_destroy_finds_a_copy_that_was_not_recorded(provider, checked, emulator):
    created = provider.create(checked(instance_id=STOPPED, image_name="gold", copy_to_regions=["ap-shanghai"]))

    provider.delete(created.id, {**created.outs, "copies": {}})

    assert images_in(emulator) == []


def test_a_failed_copy_is_deleted_and_named(provider, checked, emulator):
    emulator.control.fail_copies(region="ap-beijing", count=1)

    with pytest.raises(CvmImageError) as raised:
        provider.create(checked(instance_id=STOPPED, image_name="gold", copy_to_regions=["ap-shanghai", "ap-beijing"]))

    assert "ap-beijing" in str(raised.value) and "ap-shanghai" not in str(raised.value)
    regions = sorted(image["Region"] for image in images_in(emulator))
    assert regions == ["ap-guangzhou", "ap-shanghai"]  # the failed copy is gone; the good one is kept for the next run


def test_the_next_run_takes_over_the_copies_a_failed_run_made(provider, checked, emulator):
    emulator.control.fail_copies(region="ap-beijing", count=1)
    inputs = checked(instance_id=STOPPED, image_name="gold", copy_to_regions=["ap-shanghai", "ap-beijing"])
    with pytest.raises(CvmImageError):
        provider.create(inputs)

    result = provider.create(inputs)

    assert sorted(image["Region"] for image in images_in(emulator)) == ["ap-beijing", "ap-guangzhou", "ap-shanghai"]
    assert sorted(result.outs["copies"]) == ["ap-beijing", "ap-shanghai"]


def test_a_lost_sync_answer_makes_no_second_copy(provider, checked, emulator):
    emulator.control.set_faults([{"action": "SyncImages", "kind": "lose_response", "count": 1}])

    result = provider.create(checked(instance_id=STOPPED, image_name="gold", copy_to_regions=["ap-shanghai"]))

    shanghai = [image["ImageId"] for image in images_in(emulator) if image["Region"] == "ap-shanghai"]
    assert shanghai == [result.outs["copies"]["ap-shanghai"]]


def test_refresh_reads_copies_shares_family_and_deprecation(provider, checked, emulator, cvm_client):
    created = provider.create(
        checked(instance_id=STOPPED, image_name="gold", copy_to_regions=["ap-shanghai"], share_with_accounts=[ALICE], image_family="web")
    )
    cvm_client.call_json("ModifyImageSharePermission", {"ImageId": created.id, "AccountIds": [ALICE], "Permission": "CANCEL"})
    cvm_client.call_json("ModifyImageAttribute", {"ImageId": created.id, "ImageFamily": "db", "ImageDeprecated": True})
    cvm_client.call_json("ModifyImageSharePermission", {"ImageId": created.id, "AccountIds": [CAROL], "Permission": "SHARE"})

    read = provider.read(created.id, created.outs)

    assert read.inputs["share_with_accounts"] == [CAROL]
    assert (read.inputs["image_family"], read.inputs["deprecated"]) == ("db", True)
    assert read.inputs["copy_to_regions"] == ["ap-shanghai"] and read.outs["copies"] == created.outs["copies"]


def test_refresh_of_an_image_without_shares_asks_nothing_about_shares(provider, checked, emulator):
    """No DescribeImageSharePermission call (nor the permission for it) where the stack manages no shares: a stack
    written before shares existed refreshes with the calls and permissions it always needed."""
    created = provider.create(checked(instance_id=STOPPED, image_name="plain"))
    emulator.control.clear_requests()

    read = provider.read(created.id, created.outs)

    assert read.id == created.id and "share_with_accounts" not in read.inputs
    assert calls(emulator, "DescribeImageSharePermission") == []


def test_latest_image_is_the_familys_newest(provider, checked, emulator):
    first = provider.create(checked(instance_id=STOPPED, image_name="gold-1", image_family="web"))
    second = provider.create(checked(instance_id=STOPPED, image_name="gold-2", image_family="web", copy_to_regions=["ap-shanghai"]))

    settings = {"secret_id": emulator.secret_id, "secret_key": emulator.secret_key, "endpoint": emulator.url}
    assert latest_image("web", emulator.region, **settings)["ImageId"] == second.id
    assert latest_image("web", "ap-shanghai", **settings)["ImageId"] == second.outs["copies"]["ap-shanghai"]
    assert latest_image("db", emulator.region, **settings) is None
    assert first.id != second.id


@pytest.mark.parametrize(
    ("props", "prop", "words"),
    [
        ({"copy_to_regions": ["Mars"]}, "copy_to_regions", "'Mars', which is not a region name"),
        ({"copy_to_regions": ["ap-guangzhou"]}, "copy_to_regions", "must not name 'ap-guangzhou': the image itself is made there"),
        ({"copy_to_regions": ["ap-shanghai", "ap-shanghai"]}, "copy_to_regions", "must not list a region twice"),
        ({"share_with_accounts": ["alice"]}, "share_with_accounts", "must hold Tencent Cloud account ids"),
        ({"image_family": "f" * 61}, "image_family", "must be 1 to 60 characters, got 61; shorten it"),
        ({"image_family": "1web"}, "image_family", "must start with a letter"),
        ({"share_copies": True}, "share_copies", "needs copy_to_regions"),
    ],
)
def test_check_names_the_property_and_the_fix(provider, props, prop, words):
    result = provider.check({}, {"instance_id": STOPPED, "image_name": "gold", **props})

    [failure] = result.failures
    assert failure.property == prop and words in failure.reason


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ({}, {"copy_to_regions": ["ap-shanghai"]}),
        ({"copy_to_regions": ["ap-shanghai"]}, {"copy_to_regions": ["ap-beijing"]}),
        ({}, {"share_with_accounts": [ALICE]}),
        ({"share_with_accounts": [ALICE]}, {"share_with_accounts": [BOB]}),
        ({"copy_to_regions": ["ap-shanghai"]}, {"copy_to_regions": ["ap-shanghai"], "share_copies": True}),
        ({}, {"image_family": "web"}),
        ({}, {"deprecated": True}),
    ],
)
def test_the_new_rows_change_in_place(old, new):
    base = {"instance_id": STOPPED, "image_name": "gold"}
    result = CvmImageProvider().diff("img-abcd1234", {**base, **old, "image_id": "img-abcd1234"}, {**base, **new})

    assert result.changes is True and result.replaces == []


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ({"copy_to_regions": ["ap-shanghai", "ap-beijing"]}, {"copy_to_regions": ["ap-beijing", "ap-shanghai"]}),
        ({}, {"deprecated": False, "share_copies": False, "share_with_accounts": []}),
    ],
)
def test_order_and_false_are_no_change(old, new):
    base = {"instance_id": STOPPED, "image_name": "gold"}
    assert CvmImageProvider().diff("img-abcd1234", {**base, **old}, {**base, **new}).changes is False
