"""More than one page: DescribeImages answers at most 100 images a call (Limit <= 100, ImageIds <= 100).

The name filter is fuzzy, so an exact name can sit behind a page of images whose names merely contain it (the
newest are listed first), and a `pulumi up` of many images polls more than 100 ids at once.
"""

from concurrent.futures import ThreadPoolExecutor

import pytest

from components.cloud.client import CvmApi
from components.cloud.errors import CvmImageError
from components.cloud.retry import Deadline
from components.cloud.settings import resolve_settings
from tests.components.conftest import configured_provider, images_in
from tests.components.emulator_clock import HELD, emulator_clock  # noqa: F401 - a fixture
from tests.components.emulator_helpers import STOPPED, calls, make_images, provider_marks, today_without_lags
from tests.components.host_helpers import eventually

API_PAGE = 100  # DescribeImages' documented maximum: Limit, and ids a request (the oracle, not the code's constant)
PAST_A_PAGE = API_PAGE + 5


@pytest.fixture
def crowded(emulator, cvm_client):
    """make(tags=None): an image named exactly `web-base`, then PAST_A_PAGE newer images whose names contain it.
    Returns the exact one's id; the fuzzy name filter lists it on the second page."""
    today_without_lags(emulator, image_build_seconds=0)

    def make(tags: dict[str, str] | None = None) -> str:
        [exact] = make_images(cvm_client, ["web-base"], tags=tags)
        make_images(cvm_client, [f"web-base-{n:03d}" for n in range(PAST_A_PAGE)])
        emulator.control.clear_requests()
        return exact

    return make


def name_lookups(emulator) -> list[dict]:
    return [entry for entry in calls(emulator, "DescribeImages") if (entry["params"] or {}).get("Filters")]


def test_adopting_by_exact_name_finds_the_image_on_a_later_page(crowded, checked, emulator):
    exact = crowded()

    result = configured_provider(emulator).create(checked(instance_id=STOPPED, image_name="web-base", adopt_image="web-base"))

    assert result.id == exact
    pages = name_lookups(emulator)
    assert len(pages) >= 2 and all(page["params"]["Limit"] <= API_PAGE for page in pages)
    assert calls(emulator, "CreateImage") == []


def test_an_image_an_earlier_up_made_is_found_on_a_later_page_and_adopted(crowded, checked, emulator):
    """The name is taken by our own image (it carries this resource's marks): create adopts it instead of failing."""
    exact = crowded(tags=provider_marks("web-base", STOPPED))

    result = configured_provider(emulator).create(checked(instance_id=STOPPED, image_name="web-base"))

    assert result.id == exact
    assert len(images_in(emulator)) == PAST_A_PAGE + 1  # no new image
    assert len(name_lookups(emulator)) >= 2


def test_a_foreign_image_on_a_later_page_is_named_in_the_error(crowded, checked, emulator):
    exact = crowded()

    with pytest.raises(CvmImageError) as raised:
        configured_provider(emulator).create(checked(instance_id=STOPPED, image_name="web-base"))

    assert f"image {exact} (NORMAL) already has this name" in str(raised.value)


def test_describe_images_pages_ids_by_100(emulator, cvm_client):
    today_without_lags(emulator, image_build_seconds=0)
    ids = make_images(cvm_client, [f"many-{n:03d}" for n in range(2 * API_PAGE + 10)])
    config = {"tencentcloud:secretId": emulator.secret_id, "tencentcloud:secretKey": emulator.secret_key, "cvmImage:endpoint": emulator.url}
    emulator.control.clear_requests()

    found = CvmApi(resolve_settings(config)).describe_images(ids, Deadline.after(30))

    assert set(found) == set(ids)
    sizes = [len(entry["params"]["ImageIds"]) for entry in calls(emulator, "DescribeImages")]
    assert sizes == [100, 100, 10]


def polled_together(emulator, image_ids: set[str]) -> bool:
    """Some poll asked for all `image_ids`: a full page of 100 ids, sorted, followed at once by the rest (a poll asks
    for every id it waits for, 100 a request, back to back). Single-image reads are left out."""
    asked = [entry["params"].get("ImageIds") or [] for entry in calls(emulator, "DescribeImages")]
    pages = [ids for ids in asked if len(ids) > 1]
    return any(
        len(page) == API_PAGE and sorted(after)[0] > sorted(page)[-1] and set(page) | set(after) == image_ids
        for page, after in zip(pages, pages[1:])
    )


def test_more_than_100_images_baking_at_once_are_all_polled(emulator, emulator_clock, cvm_client):
    """One provider creating PAST_A_PAGE images at once polls them together: a poll covers every id, 100 a request.
    No image finishes before the test moves the clock, so all are waited for at once however slowly they start; a
    poller that asked for only the first 100 would never ask for the others while those build."""
    today_without_lags(emulator, image_build_seconds=HELD)
    launch = {"Placement": {"Zone": "ap-guangzhou-3"}}
    instances = [  # RunInstances launches at most 100 at a time
        instance
        for count in (API_PAGE, PAST_A_PAGE - API_PAGE)
        for instance in cvm_client.call_json("RunInstances", {**launch, "InstanceCount": count})["Response"]["InstanceIdSet"]
    ]
    for instance in instances:  # PENDING -> STOPPED: imaged without a shutdown
        emulator.control.patch_instance(instance, InstanceState="STOPPED")
    provider = configured_provider(emulator)
    inputs = [provider.check({}, {"instance_id": i, "image_name": f"bulk-{n:03d}"}).inputs for n, i in enumerate(instances)]

    with ThreadPoolExecutor(max_workers=PAST_A_PAGE) as pool:
        creating = pool.map(provider.create, inputs)
        try:
            eventually(lambda: len(images_in(emulator)) == PAST_A_PAGE, timeout=60)
            image_ids = {image["ImageId"] for image in images_in(emulator)}
            eventually(lambda: polled_together(emulator, image_ids), timeout=30)
        finally:
            emulator_clock.shift += HELD  # every build done: the creates end, whatever happened above
        results = list(creating)

    assert all(result.outs["image_state"] == "NORMAL" for result in results)
    assert {result.id for result in results} == image_ids
    requests = [entry for entry in calls(emulator, "DescribeImages") if entry["params"].get("ImageIds")]
    assert all(len(entry["params"]["ImageIds"]) <= API_PAGE for entry in requests)
