"""What a Describe* request selects: ids xor `Filters` (at most 10 filters of 5 values), then a page (`Offset`, and
`Limit` from 1 to 100, default 20). The rules are the same across CVM and Auto Scaling; the codes they answer with are
not."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from .errors import ApiError, invalid
from .filters import Filters
from .params import Params

MAX_FILTERS = 10
MAX_FILTER_VALUES = 5
MAX_PAGE = 100
DEFAULT_LIMIT = 20

Item = TypeVar("Item")


@dataclass(frozen=True)
class SelectionCodes:
    """The codes an action answers a selection that breaks the rules with."""

    coexist: str  # ids and Filters together
    too_many_filters: str
    too_many_values: str  # in one filter
    too_many_ids: str | None = None  # more than MAX_PAGE ids; None: not checked


@dataclass(frozen=True)
class Selection:
    ids: list[str]
    filters: Filters
    offset: int
    limit: int

    def page(self, items: Sequence[Item]) -> list[Item]:
        return list(items[self.offset:self.offset + self.limit])


def _check_filters(filters: list[Params], codes: SelectionCodes) -> None:
    if len(filters) > MAX_FILTERS:
        raise ApiError(codes.too_many_filters, f"At most {MAX_FILTERS} filters a request.")
    if any(len(item["Values"]) > MAX_FILTER_VALUES for item in filters):
        raise ApiError(codes.too_many_values, f"At most {MAX_FILTER_VALUES} values a filter.")


def select(params: Params, ids_name: str, codes: SelectionCodes) -> Selection:
    """The selection a request's `<ids_name>`, `Filters`, `Offset` and `Limit` make."""
    if ids_name in params and "Filters" in params:
        raise ApiError(codes.coexist, f"`{ids_name}` and `Filters` cannot be given together.")
    ids, filters = params.get(ids_name, []), params.get("Filters", [])
    if codes.too_many_ids is not None and len(ids) > MAX_PAGE:
        raise ApiError(codes.too_many_ids, f"At most {MAX_PAGE} `{ids_name}` a request.")
    _check_filters(filters, codes)
    return Selection(ids, [(item["Name"], item["Values"]) for item in filters], *page_bounds(params))


def page_bounds(params: Params) -> tuple[int, int]:
    """The request's (Offset, Limit)."""
    offset, limit = params.get("Offset", 0), params.get("Limit", DEFAULT_LIMIT)
    if offset < 0:
        raise invalid("Offset", "a non-negative integer")
    if not 1 <= limit <= MAX_PAGE:
        raise invalid("Limit", f"an integer from 1 to {MAX_PAGE}")
    return offset, limit
