"""The Describe* `Filters` parameter, on items as the API renders them: values of one filter are ORed, filters are
ANDed."""

from collections.abc import Callable, Collection

from .errors import ApiError
from .wire import Described

Extractor = Callable[[Described], list[str]]
Filters = list[tuple[str, list[str]]]


def tag_keys(item: Described) -> list[str]:
    return [tag["Key"] for tag in item["Tags"]]


def tag_values(item: Described) -> list[str]:
    return [tag["Value"] for tag in item["Tags"]]


INSTANCE_FILTERS: dict[str, Extractor] = {
    "instance-id": lambda item: [item["InstanceId"]],
    "instance-name": lambda item: [item["InstanceName"]],
    "instance-state": lambda item: [item["InstanceState"]],
    "zone": lambda item: [item["Placement"]["Zone"]],
    "tag-key": tag_keys,
    "tag-value": tag_values,
}
# DescribeImages' filters. Today's API documents no image-state filter and matches image-name and platform fuzzily;
# the 2018 era keeps the emulator's earlier table.
IMAGE_FILTERS_2018: dict[str, Extractor] = {
    "image-id": lambda item: [item["ImageId"]],
    "image-name": lambda item: [item["ImageName"]],
    "image-type": lambda item: [item["ImageType"]],
    "image-state": lambda item: [item["ImageState"]],
    "platform": lambda item: [item["Platform"]],
    "tag-key": tag_keys,
    "tag-value": tag_values,
}
IMAGE_FILTERS_TODAY = {name: extract for name, extract in IMAGE_FILTERS_2018.items() if name != "image-state"}
FUZZY_2018, FUZZY_TODAY = ("image-name",), ("image-name", "platform")


def _extractor(name: str, extractors: dict[str, Extractor], unknown: str) -> Extractor:
    if name.startswith("tag:") and len(name) > 4:
        key = name[4:]
        return lambda item: [tag["Value"] for tag in item["Tags"] if tag["Key"] == key]
    if name not in extractors:
        supported = f"{sorted(extractors)} or tag:KEY"
        raise ApiError(unknown, f"Filter `{name}` is not supported; use one of {supported}.")
    return extractors[name]


def apply_filters(
    items: list[Described], filters: Filters, extractors: dict[str, Extractor], fuzzy: Collection[str] = (),
    unknown: str = "InvalidFilter",
) -> list[Described]:
    """Filters named in `fuzzy` match a case-insensitive substring; the others match exactly. A filter name that is
    neither in `extractors` nor `tag:KEY` is answered with the code `unknown`."""
    for name, values in filters:
        extract = _extractor(name, extractors, unknown)

        def matches(candidate: str, value: str, name: str = name) -> bool:
            return value.lower() in candidate.lower() if name in fuzzy else candidate == value

        items = [item for item in items if any(matches(c, v) for c in extract(item) for v in values)]
    return items


def filter_images(items: list[Described], filters: Filters, today: bool) -> list[Described]:
    if today:
        return apply_filters(items, filters, IMAGE_FILTERS_TODAY, FUZZY_TODAY)
    return apply_filters(items, filters, IMAGE_FILTERS_2018, FUZZY_2018)


def filter_instances(items: list[Described], filters: Filters) -> list[Described]:
    return apply_filters(items, filters, INSTANCE_FILTERS)
