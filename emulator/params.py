"""Request parameters: the JSON body, and schemas that check it the way API 3.0 does.

A parameter an action does not declare is `UnknownParameter` (at any depth); a declared one of the wrong type is
`InvalidParameter` (as recorded); a string boolean other than "true"/"false" is `InvalidParameterValue`; a missing
required one is `MissingParameter`. Parameters the real API declares but the
emulator does not model are listed as `ignored`: accepted, unchecked and dropped.
"""

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Union

from .errors import ApiError, DryRunPassed, invalid, wrong_type

STR, INT, BOOL, STRBOOL = "String", "Integer", "Boolean", "String boolean"


@dataclass(frozen=True)
class Obj:
    fields: Mapping[str, "Schema"]
    required: tuple[str, ...] = ()
    ignored: tuple[str, ...] = ()

    def declared(self) -> set[str]:
        return set(self.fields) | set(self.ignored)


Schema = Union[str, list[Any], Obj]  # a scalar type name, [item schema], or an object
Params = dict[str, Any]


def _scalar(value: Any, kind: str, path: str) -> Any:
    if kind == STR and isinstance(value, str):
        return value
    if kind == INT and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind == BOOL and isinstance(value, bool):
        return value
    if kind in (BOOL, STRBOOL) and isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if kind == STRBOOL and isinstance(value, str):
        raise invalid(path, '"true" or "false"')
    raise wrong_type(path, '"true" or "false"' if kind == STRBOOL else f"a {kind}")


def _object(value: Any, schema: Obj, path: str) -> Params:
    if not isinstance(value, dict):
        raise wrong_type(path, "an object")
    prefix = f"{path}." if path else ""
    for key in value:
        if key not in schema.fields and key not in schema.ignored:
            raise ApiError("UnknownParameter", f"The parameter `{prefix}{key}` is not recognized.")
    for key in schema.required:
        if value.get(key) is None:
            raise ApiError("MissingParameter", f"The request is missing a required parameter `{prefix}{key}`.")
    return {
        key: parse(item, schema.fields[key], prefix + key)
        for key, item in value.items() if item is not None and key in schema.fields
    }


def parse(value: Any, schema: Schema, path: str = "") -> Any:
    """Check `value` against `schema` and return it with string booleans turned into bools."""
    if isinstance(schema, Obj):
        return _object(value, schema, path)
    if isinstance(schema, list):
        if not isinstance(value, list):
            raise wrong_type(path, "an array")
        return [parse(item, schema[0], f"{path}.{index}") for index, item in enumerate(value)]
    return _scalar(value, schema, path)


def decode_body(body: bytes) -> Params:
    """The JSON object in the request body; an empty body is an empty object."""
    if not body.strip():
        return {}
    try:
        params = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ApiError("InvalidParameter", "The request body is not valid UTF-8 JSON.") from None
    if not isinstance(params, dict):
        raise ApiError("InvalidParameter", "The request body must be a JSON object.")
    return params


Handler = Callable[[Any, str, Params], Params]  # (backend, region, parsed params) -> answer fields


def answers_dry_run(handler: Handler, passed: Params) -> Handler:
    """`handler`, answering a DryRun whose checks all pass as its API documentation says (README "Known differences"):
    in today's era with `passed`, the action's answer without the resources (a RequestId, plus `ImageSet: []` for
    SyncImages), not DryRunOperation; the 2018 era answers DryRunOperation as it always did."""
    def answer(backend: Any, region: str, params: Params) -> Params:
        try:
            return handler(backend, region, params)
        except DryRunPassed:
            if not backend.config.today:
                raise
            return dict(passed)
    return answer


@dataclass(frozen=True)
class Action:
    """One API action: its handler (backend, region, parsed params) -> answer fields, and its parameters.

    `params_2018` is the action's parameter list in the 2018 era when it differs from today's.
    """

    handler: Handler
    params: Obj
    mutating: bool = True
    params_2018: Obj | None = None

    def schema(self, today: bool) -> Obj:
        return self.params if today or self.params_2018 is None else self.params_2018
