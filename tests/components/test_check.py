"""check: every validation rule, through the provider's own check method."""

import pytest
from pulumi.runtime.rpc import UNKNOWN

from components import CvmImageProvider

VALID = {"instance_id": "ins-abcd1234", "image_name": "web-base-2026-11"}


def check(**props):
    result = CvmImageProvider().check({}, {"__provider": "serialized", **props})
    return result.inputs, {failure.property: failure.reason for failure in result.failures}


def test_valid_inputs_are_normalised_with_defaults():
    inputs, failures = check(**VALID, force_poweroff="TRUE", sysprep=False, reboot="false")
    assert failures == {}
    assert inputs == {
        **VALID,
        "force_poweroff": True,
        "sysprep": False,
        "reboot": False,
        "delete_bound_snapshots": False,
        "wait_timeout_minutes": 60.0,
        "keep_previous": 0,
        "delete_in_use": False,
    }


@pytest.mark.parametrize("missing", ["instance_id", "image_name"])
def test_required_properties(missing):
    props = {key: value for key, value in VALID.items() if key != missing}
    _, failures = check(**props)
    assert failures == {missing: f"{missing} is required"}


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("", "1 to 60 characters, got 0"),
        ("x" * 61, "1 to 60 characters, got 61"),
        ("tab\there", "control characters"),
        ("line\nbreak", "control characters"),
        (" leading", "white space"),
        ("trailing ", "white space"),
        (42, "must be a string"),
    ],
)
def test_image_name_rules(name, fragment):
    _, failures = check(instance_id=VALID["instance_id"], image_name=name)
    assert set(failures) == {"image_name"}
    assert fragment in failures["image_name"]
    assert failures["image_name"].startswith("image_name ")


@pytest.mark.parametrize("name", ["a", "x" * 60, "web base (golden) 2026/11", "镜像-基础"])
def test_image_name_accepts_sixty_characters_of_anything_printable(name):
    _, failures = check(instance_id=VALID["instance_id"], image_name=name)
    assert failures == {}


def test_description_at_most_256_characters():
    assert check(**VALID, image_description="d" * 256)[1] == {}
    _, failures = check(**VALID, image_description="d" * 257)
    assert "at most 256 characters, got 257" in failures["image_description"]


@pytest.mark.parametrize("instance_id", ["ins-abc", "ins-ABCD1234", "i-abcd1234", "ins-abcd12345", "", "ins-abcd_123"])
def test_instance_id_shape(instance_id):
    _, failures = check(instance_id=instance_id, image_name="x")
    assert "ins-xxxxxxxx" in failures["instance_id"]
    assert repr(instance_id) in failures["instance_id"]


@pytest.mark.parametrize("prop", ["force_poweroff", "sysprep", "reboot", "delete_bound_snapshots"])
@pytest.mark.parametrize("bad", ["yes", "1", 1, "on", "maybe"])
def test_booleans_accept_only_true_or_false(prop, bad):
    _, failures = check(**VALID, **{prop: bad})
    assert set(failures) == {prop}
    assert "true or false" in failures[prop]


@pytest.mark.parametrize(("raw", "parsed"), [(True, True), ("true", True), ("False", False), (" TRUE ", True)])
def test_boolean_spellings(raw, parsed):
    inputs, failures = check(**VALID, reboot=raw)
    assert failures == {} and inputs["reboot"] is parsed


def test_data_disk_ids_shape_and_uniqueness():
    assert check(**VALID, data_disk_ids=["disk-abcd1234"])[1] == {}
    assert "disk-xxxxxxxx" in check(**VALID, data_disk_ids=["vol-1"])[1]["data_disk_ids"]
    assert "twice" in check(**VALID, data_disk_ids=["disk-abcd1234", "disk-abcd1234"])[1]["data_disk_ids"]
    assert "list" in check(**VALID, data_disk_ids="disk-abcd1234")[1]["data_disk_ids"]


def test_tag_rules():
    assert check(**VALID, tags={"team": "infra"})[1] == {}
    assert check(**VALID, tags={"team": "infra"})[0]["tags"] == {"team": "infra"}  # accepted tags go on as written
    for reserved in ("QCloud:x", "TENCENT-x", "project", "Pulumi-CVM-Image:x"):  # reserved in any case
        assert "not start with" in check(**VALID, tags={reserved: "x"})[1]["tags"]
    assert "not start with" in check(**VALID, tags={"qcloud:owner": "x"})[1]["tags"]
    assert "not start with" in check(**VALID, tags={"pulumi-cvm-image:instance-id": "x"})[1]["tags"]
    assert "1 to 127" in check(**VALID, tags={"k" * 128: "x"})[1]["tags"]
    assert "1 to 255" in check(**VALID, tags={"k": "v" * 256})[1]["tags"]
    assert "1 to 255" in check(**VALID, tags={"k": ""})[1]["tags"]
    assert "may hold only" in check(**VALID, tags={"team": "a!b"})[1]["tags"]
    assert "may hold only" in check(**VALID, tags={" team": "x"})[1]["tags"]
    assert check(**VALID, tags={"团队": "基础 设施", "a+b=c": "x/y@z:1.0"})[1] == {}
    assert "at most 46" in check(**VALID, tags={f"k{i}": "v" for i in range(47)})[1]["tags"]
    assert check(**VALID, tags={f"k{i}": "v" for i in range(46)})[1] == {}


@pytest.mark.parametrize("stopping", [{"reboot": True}, {"force_poweroff": True}])
def test_live_image_cannot_be_combined_with_a_shutdown(stopping):
    _, failures = check(**VALID, live_image=True, **stopping)
    assert set(failures) == {"live_image"} and "Set only one of them" in failures["live_image"]
    assert check(**VALID, live_image=True)[1] == {}


@pytest.mark.parametrize("minutes", [0, -5, 1441, "soon"])
def test_wait_timeout_range(minutes):
    _, failures = check(**VALID, wait_timeout_minutes=minutes)
    assert set(failures) == {"wait_timeout_minutes"}


def test_unknown_property_is_named_with_the_allowed_ones():
    _, failures = check(**VALID, imageName="typo")
    assert failures["imageName"].startswith("'imageName' is not a property of CvmImage; allowed: ")
    assert "image_name" in failures["imageName"]


def test_every_failure_is_reported_at_once():
    _, failures = check(instance_id="bad", image_name=" bad", image_description="d" * 300, sysprep="maybe")
    assert set(failures) == {"instance_id", "image_name", "image_description", "sysprep"}


def test_unknown_values_in_preview_pass_and_stay_unknown():
    inputs, failures = check(instance_id=UNKNOWN, image_name=UNKNOWN, tags={"owner": UNKNOWN}, data_disk_ids=[UNKNOWN])
    assert failures == {}
    assert inputs["instance_id"] == UNKNOWN and inputs["image_name"] == UNKNOWN
    assert inputs["tags"] == {"owner": UNKNOWN} and inputs["data_disk_ids"] == [UNKNOWN]


def test_known_values_are_still_checked_beside_unknown_ones():
    _, failures = check(instance_id=UNKNOWN, image_name="x" * 61)
    assert set(failures) == {"image_name"}


@pytest.mark.parametrize(("target", "ok"), [("img-abcd1234", True), ("packer-web-2026", True), ("img-BAD", False), ("x" * 61, False)])
def test_adopt_image_is_an_image_id_or_a_name(target, ok):
    _, failures = check(**VALID, adopt_image=target)
    assert (failures == {}) is ok
    if not ok:
        assert set(failures) == {"adopt_image"}


@pytest.mark.parametrize(
    ("value", "fragment"),
    [(-1, "must be 0 or more"), (True, "must be a whole number"), (1.5, "must be a whole number"), ("two", "must be a whole number")],
)
def test_keep_previous_is_a_count(value, fragment):
    _, failures = check(**VALID, keep_previous=value)
    assert fragment in failures["keep_previous"]


def test_keep_previous_takes_the_float_the_engine_sends():
    inputs, failures = check(**VALID, keep_previous=2.0)
    assert failures == {} and inputs["keep_previous"] == 2


def test_rollback_to_is_an_image_id():
    _, failures = check(**VALID, rollback_to="web-base-v2")
    assert "img-xxxxxxxx (one of previous_image_ids)" in failures["rollback_to"]


def test_a_rollback_cannot_come_with_a_new_build():
    """rollback_to declared beside a change of instance_id: the build would be rolled back at the next up."""
    olds = {**VALID, "rollback_to": "img-abcd1234"}
    result = CvmImageProvider().check(olds, {**olds, "instance_id": "ins-other123"})

    [failure] = result.failures
    assert failure.property == "rollback_to"
    assert "cannot stay declared while instance_id change" in failure.reason and "Remove rollback_to to build" in failure.reason


def test_a_rollback_with_an_instance_not_known_yet_is_judged_at_up():
    olds = {**VALID, "rollback_to": "img-abcd1234"}
    assert CvmImageProvider().check(olds, {**olds, "instance_id": UNKNOWN}).failures == []
