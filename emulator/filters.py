"""The Describe* `Filters` parameter: values of one filter are ORed, filters are ANDed."""

from collections.abc import Callable, Collection

from .errors import ApiError
from .timeline import Described

Extractor = Callable[[Described], list[str]]
Filters = list[tuple[str, list[str]]]


def tag_keys(item: Described) -> list[str]:
    return [tag["Key"] for tag in item["Tags"]]


def tag_values(item: Described) -> list[str]:
    return [tag["Value"] for tag in item["Tags"]]


def _extractor(name: str, extractors: dict[str, Extractor]) -> Extractor:
    if name.startswith("tag:") and len(name) > 4:
        key = name[4:]
        return lambda item: [tag["Value"] for tag in item["Tags"] if tag["Key"] == key]
    if name not in extractors:
        supported = f"{sorted(extractors)} or tag:KEY"
        raise ApiError("InvalidFilter", f"Filter `{name}` is not supported; use one of {supported}.")
    return extractors[name]


def apply_filters(
    items: list[Described], filters: Filters, extractors: dict[str, Extractor], fuzzy: Collection[str] = ()
) -> list[Described]:
    """Filters named in `fuzzy` match a case-insensitive substring; the others match exactly."""
    for name, values in filters:
        extract = _extractor(name, extractors)

        def matches(candidate: str, value: str, name: str = name) -> bool:
            return value.lower() in candidate.lower() if name in fuzzy else candidate == value

        items = [item for item in items if any(matches(c, v) for c in extract(item) for v in values)]
    return items
