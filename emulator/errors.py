"""The one error type the API layer answers with, and the errors more than one layer raises.

The lowest module of the emulator: every other one may import it, and it imports none of them.
"""


class ApiError(Exception):
    """An API error, answered as `{"Response": {"Error": {"Code", "Message"}}}`."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class Conflict(Exception):
    """A control call that clashes with the state, such as an id that is taken (HTTP 409)."""


def invalid(path: str, expected: str) -> ApiError:
    """A parameter of the right type with a value out of bounds."""
    return ApiError("InvalidParameterValue", f"The value of parameter `{path}` is invalid: expected {expected}.")


def wrong_type(path: str, expected: str) -> ApiError:
    """A parameter of the wrong JSON type: the API answers InvalidParameter, not InvalidParameterValue (a recorded
    StopInstances with `"InstanceIds": "hello"`: "参数 `InstanceIds` 取值类型错误。")."""
    return ApiError("InvalidParameter", f"The value type of parameter `{path}` is wrong: expected {expected}.")


class DryRunPassed(ApiError):
    """DryRun=true: every check passed and nothing was done. Today's actions answer it as a plain success (params.py
    `answers_dry_run`); the 2018 era answers DryRunOperation."""


def dry_run() -> DryRunPassed:
    return DryRunPassed("DryRunOperation", "Request validation passed; nothing was done because DryRun is set.")


def state_error(instance_id: str, state: str) -> ApiError:
    """An instance in a state the action does not support: UnsupportedOperation.InstanceState<State>."""
    suffix = "".join(part.capitalize() for part in state.split("_"))
    return ApiError(
        f"UnsupportedOperation.InstanceState{suffix}",
        f"Instance `{instance_id}` is in state {state}; the operation is not supported in this state.",
    )
