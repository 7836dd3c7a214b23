"""The diff table (README: "What a change does"). Pure: no API calls, so previews are fast and need no credentials."""

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from .inputs import Effect, keys_with

# The inputs a diff looks at: the ones whose change has an effect (Effect.CREATION inputs only steer creation).
REPLACE_KEYS = keys_with(Effect.REPLACE)
UPDATE_KEYS = keys_with(Effect.UPDATE)


@dataclass(frozen=True)
class ImageDiff:
    changed: tuple[str, ...]
    replaces: tuple[str, ...]
    detailed: dict[str, str]  # property -> its change as the engine's PropertyDiff kind names it (UPDATE_REPLACE, ...)


def diff_image(olds: dict[str, Any], news: dict[str, Any], unknown: Collection[str] = ()) -> ImageDiff:
    """Compare the recorded outputs (which carry the inputs they were made from) with the new checked inputs, of
    which `unknown` are not known yet (preview): those count as changed. A replacement never needs the old image
    deleted first: one that keeps the name swaps names at the end (operations/lifecycle.py)."""
    changed = tuple(
        key for key in REPLACE_KEYS + UPDATE_KEYS if key in unknown or _empty_as_none(olds.get(key)) != _empty_as_none(news.get(key))
    )
    replaces = tuple(key for key in changed if key in REPLACE_KEYS)
    detailed = {key: _kind(olds.get(key), news.get(key), key in unknown) + ("_REPLACE" if key in replaces else "") for key in changed}
    return ImageDiff(changed, replaces, detailed)


def _kind(old: Any, new: Any, unknown: bool) -> str:
    """As the engine's own input diff names a change: by whether the property is there at all (false is a value)."""
    if unknown:
        return "UPDATE"
    if old is None:
        return "ADD"
    return "DELETE" if new is None else "UPDATE"


def _empty_as_none(value: Any) -> Any:
    if value is None or value is False or value in ("", [], {}):
        return None
    # Disks, regions and accounts are sets: order carries no meaning. Compared by repr, so that any value (even a
    # float nan, which equals nothing) compares like itself.
    return sorted(map(repr, value)) if isinstance(value, list) else value
