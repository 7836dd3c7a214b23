"""The usage lookup (operations/usage.py) against the emulator through the official SDKs: what launches from an image,
found by paging through everything a region has (no Describe action filters by image)."""

from typing import Any

import pytest

from components.cloud.client import CvmApi
from components.cloud.retry import Deadline
from components.cloud.settings import resolve_settings
from components.operations.copies import Regions
from components.operations.images import ImageService
from components.operations.usage import Located, Usage, Users
from components.waiting.poller import ImagePoller
from tests.components.emulator_helpers import calls, make_images, today_without_lags
from tests.components.launch_helpers import cvm, launch_configuration, launch_template, run_instances, terminate
from tests.engine.cvm_stack import emulator_config

PAST_A_PAGE = 105  # DescribeInstances answers at most 100 a page


@pytest.fixture
def usage(emulator: Any) -> Usage:
    today_without_lags(emulator, image_build_seconds=0)
    api = CvmApi(resolve_settings(emulator_config(emulator)))
    return Usage(Regions(ImageService(api, ImagePoller(api)), api, lambda _urn, _message: None))


@pytest.fixture
def golden(emulator: Any, usage: Usage) -> list[str]:
    return make_images(cvm(emulator), ["golden-a", "golden-b"])


def lookup(usage: Usage, *images: Located) -> dict[Located, Users]:
    return usage.in_use(images, Deadline.after(30))


def test_instances_are_found_on_every_page_and_gone_ones_do_not_count(emulator: Any, usage: Usage, golden: list[str]) -> None:
    a, b = golden
    run_instances(emulator, "img-9id7emv7", count=100)
    late = run_instances(emulator, a, count=PAST_A_PAGE - 100)
    ending = run_instances(emulator, b)
    terminate(emulator, ending)
    emulator.control.clear_requests()

    found = lookup(usage, Located("ap-guangzhou", a), Located("ap-guangzhou", b))

    assert list(found) == [Located("ap-guangzhou", a)] and sorted(found[Located("ap-guangzhou", a)].instances) == sorted(late)
    pages = calls(emulator, "DescribeInstances")
    assert len(pages) >= 2 and all(page["params"]["Limit"] == 100 for page in pages)
    assert not any("Filters" in page["params"] for page in pages)  # DescribeInstances has no image filter


@pytest.mark.parametrize("state", ["TERMINATING", "LAUNCH_FAILED"])
def test_an_instance_on_its_way_out_or_never_launched_does_not_count(emulator: Any, usage: Usage, golden: list[str], state: str) -> None:
    a, _ = golden
    leaving, staying = run_instances(emulator, a, count=2)
    emulator.control.patch_instance(leaving, InstanceState=state)

    found = lookup(usage, Located("ap-guangzhou", a))

    assert found == {Located("ap-guangzhou", a): Users(instances=[staying])}


def test_launch_template_versions_and_launch_configurations_by_id_and_by_family(emulator: Any, usage: Usage, golden: list[str]) -> None:
    a, b = golden
    template = launch_template(emulator, a)
    by_id = launch_configuration(emulator, ImageId=a)
    by_family = launch_configuration(emulator, ImageFamily="web")

    found = lookup(usage, Located("ap-guangzhou", a, family="web"), Located("ap-guangzhou", b))

    users = found[Located("ap-guangzhou", a, family="web")]
    configurations = ", ".join(sorted([by_id, f"{by_family} (by its image family web)"]))
    assert users.describe() == f"launch template {template} version 2; launch configurations {configurations}"
    assert list(found) == [Located("ap-guangzhou", a, family="web")]


def test_a_copy_is_looked_up_in_its_own_region(emulator: Any, usage: Usage, golden: list[str]) -> None:
    a, _ = golden
    run_instances(emulator, a)  # in the image's region, not the copy's
    copy = emulator.control.seed_image("img-copy0001", "golden-copy", Region="ap-shanghai")["ImageId"]
    [instance] = run_instances(emulator, copy, "ap-shanghai")

    found = lookup(usage, Located("ap-shanghai", copy))

    assert found == {Located("ap-shanghai", copy): Users(instances=[instance])}
    assert {entry["region"] for entry in calls(emulator) if entry["action"] == "DescribeInstances"} == {"ap-shanghai"}


def test_nothing_in_use_costs_one_listing_of_each_kind_a_region(emulator: Any, usage: Usage, golden: list[str]) -> None:
    emulator.control.clear_requests()

    assert lookup(usage, *(Located("ap-guangzhou", image_id) for image_id in golden)) == {}

    assert sorted(entry["action"] for entry in calls(emulator)) == [
        "DescribeInstances", "DescribeLaunchConfigurations", "DescribeLaunchTemplates",
    ]
