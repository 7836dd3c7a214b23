"""The diff table (README: "What a change does"). Pure: no API calls, so previews are fast and need no credentials."""

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from .inputs import Effect, Failure, keys_with

# The inputs a diff looks at: the ones whose change has an effect (Effect.CREATION inputs only steer creation).
REPLACE_KEYS = keys_with(Effect.REPLACE)
UPDATE_KEYS = keys_with(Effect.UPDATE)
ROLLBACK_KEYS = keys_with(Effect.ROLLBACK)
# An output, not an input: more retained versions than keep_previous (kept because they were in use) are pruned by
# an update, so a later `pulumi up` deletes them once nothing launches from them.
OVER_COUNT_KEY = "previous_image_ids"


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
        key for key in REPLACE_KEYS + UPDATE_KEYS if key in unknown or _differs(olds, news, key)
    ) + tuple(key for key in ROLLBACK_KEYS if key in unknown or _rolls_back(olds, news.get(key)))
    replaces = tuple(key for key in changed if key in REPLACE_KEYS + ROLLBACK_KEYS)
    detailed = {key: _kind(olds.get(key), news.get(key), key in unknown) + ("_REPLACE" if key in replaces else "") for key in changed}
    if _over_count(olds, news):
        changed, detailed = changed + (OVER_COUNT_KEY,), {**detailed, OVER_COUNT_KEY: "UPDATE"}
    return ImageDiff(changed, replaces, detailed)


def rollback_failures(olds: dict[str, Any], news: dict[str, Any], unknown: Collection[str] = ()) -> list[Failure]:
    """Check's rule for a rollback (`olds`: the inputs the stack holds): a retained version cannot come with a change
    that builds a new image, and a rollback that stays declared must not be met by one later (the build would be
    rolled back again at the next `pulumi up`)."""
    target = news.get("rollback_to")
    if not olds or not target or "rollback_to" in unknown:
        return []
    rebuilt = [key for key in REPLACE_KEYS if key not in unknown and _differs(olds, news, key)]
    if not rebuilt:
        return []
    reason = (
        f"rollback_to ({target}) makes a retained version current without a build, so it cannot stay declared while "
        f"{' and '.join(rebuilt)} change (that builds a new image, which the next `pulumi up` would roll back again). "
        "Remove rollback_to to build, or undo the change to stay on the rolled-back version"
    )
    return [Failure(property="rollback_to", reason=reason)]


def _differs(olds: dict[str, Any], news: dict[str, Any], key: str) -> bool:
    return _empty_as_none(olds.get(key)) != _empty_as_none(news.get(key))


def _rolls_back(olds: dict[str, Any], target: Any) -> bool:
    """rollback_to names an image other than the one the record holds, and is not the rollback the record was made
    from (so a declaration left in place never acts twice)."""
    return bool(target) and target not in (olds.get("image_id"), olds.get("rollback_to"))


def _over_count(olds: dict[str, Any], news: dict[str, Any]) -> bool:
    keep, kept = news.get("keep_previous") or 0, olds.get(OVER_COUNT_KEY)  # keep: a float after the engine's trip
    return isinstance(keep, int | float) and isinstance(kept, list) and len(kept) > keep


def _kind(old: Any, new: Any, unknown: bool) -> str:
    """As the engine's own input diff names a change: by whether the property is there at all (false is a value)."""
    if unknown:
        return "UPDATE"
    if old is None:
        return "ADD"
    return "DELETE" if new is None else "UPDATE"


def _empty_as_none(value: Any) -> Any:
    if value is None or value is False or value in ("", [], {}, 0):
        return None
    # Disks, regions and accounts are sets: order carries no meaning. Compared by repr, so that any value (even a
    # float nan, which equals nothing) compares like itself.
    return sorted(map(repr, value)) if isinstance(value, list) else value
