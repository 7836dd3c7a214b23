"""CvmImageProvider: the dynamic provider behind CvmImage.

Its import path (components.provider.CvmImageProvider) is recorded in every stack's state by dill: keep it.
It pickles to nothing but that path, so no credential or setting can reach the state.
"""

import threading
from typing import Any

from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)
from pulumi.output import Unknown
from pulumi.runtime.rpc import UNKNOWN

from . import host
from .cloud.client import CvmApi
from .cloud.errors import CvmImageError, ImageRef
from .cloud.retry import Deadline
from .cloud.settings import CONFIG_KEYS, resolve_region, resolve_settings
from .model.diff import diff_image, rollback_failures
from .model.inputs import DEFAULT_WAIT_TIMEOUT_MINUTES, INPUT_KEYS, OUTPUT_KEYS, ImageInputs, validate_inputs
from .operations.regions import Regions
from .operations.distribution import Distributor
from .operations.facts import live_outputs, user_tags
from .operations.images import ImageService
from .operations.lifecycle import ImageLifecycle, Predecessor
from .operations.retention import Policy, Retention
from .operations.usage import Usage
from .progress import ProgressLog
from .waiting.poller import ImagePoller

PROVIDER_KEY = "__provider"

host.adapt()


class CvmImageProvider(ResourceProvider):
    """Create, read, update and delete CVM custom images made with CreateImage."""

    def __init__(self) -> None:
        super().__init__()
        self._config: dict[str, str] = {}
        self._region: str | None = None  # resolved once per configuration: it may read a tccli profile file
        self._lifecycle: ImageLifecycle | None = None
        self._lock = threading.Lock()
        # URN -> the image its record in the stack holds, for every resource this process diffed with a change that
        # was not updated in place: the engine creates or deletes such a resource only to replace it (it never tells
        # the provider so otherwise).
        self._diffed: dict[str, Predecessor] = {}

    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, _state: dict[str, Any]) -> None:
        self.__init__()

    def configure(self, req: ConfigureRequest) -> None:
        self._config = {key: value for key in CONFIG_KEYS if (value := req.config.get(key)) is not None}
        self._region = None

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        props, unknown = _user_inputs(news), _unknown_keys(news)
        inputs, failures = validate_inputs(props, unknown, self._home_region())
        failures = failures or rollback_failures(_user_inputs(olds), inputs, unknown)
        return CheckResult(inputs, [CheckFailure(failure.property, failure.reason) for failure in failures])

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        result = diff_image(olds, news, _unknown_keys(news))
        if not result.changed:
            return DiffResult(changes=False)
        if (urn := _urn(host.serving_request())) is not None:
            with self._lock:
                self._diffed[urn] = Predecessor(id_, dict(olds))
        host.detail_next_diff(result.detailed)  # the stock host would drop it; `preview --json` shows it
        return DiffResult(changes=True, replaces=list(result.replaces), delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs, request = _parse(props), host.serving_request()
        lifecycle = self._images()
        urn = _urn(request) or ""
        with self._lock:
            replacing = self._diffed.pop(urn, None)
        created = lifecycle.create(inputs, self._ref(props, None, request), _deadline(inputs.wait_timeout_minutes, request, "create"), replacing)
        if replacing is not None and not replacing.parked:  # the engine deletes its record next
            replacing.successor = Policy.of(inputs)
            with self._lock:
                self._diffed[urn] = replacing
        outputs = {
            **_dump(inputs), **live_outputs(created.image), "request_id": created.request_id, "copies": created.copies,
            "claim": created.claim, "previous_image_ids": created.previous,
        }
        return CreateResult(created.image["ImageId"], outputs)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        request = host.serving_request()
        found = self._images().read(props, self._ref(props, id_, request), _deadline(props.get("wait_timeout_minutes"), request, "read"))
        if found is None:
            return ReadResult("", {})  # gone: `pulumi refresh` drops it from the stack
        image, distribution = found
        live = {
            "image_name": image.get("ImageName"),
            "image_description": image.get("ImageDescription") or None,
            "tags": user_tags(image) or None,
            **distribution,
        }
        inputs = {key: value for key, value in {**props, **live}.items() if key in INPUT_KEYS and value is not None}
        outputs = {
            **inputs, **live_outputs(image), "request_id": props.get("request_id"), "copies": live["copies"],
            "claim": props.get("claim"), "previous_image_ids": live["previous_image_ids"],
        }
        return ReadResult(id_, outputs, inputs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        inputs, request = _parse(news), host.serving_request()
        deadline = _deadline(inputs.wait_timeout_minutes, request, "update")
        with self._lock:
            self._diffed.pop(_urn(request) or "", None)  # updated in place: not a replacement
        updated = self._images().update(olds, inputs, self._ref(news, id_, request), deadline)
        kept = {key: olds[key] for key in OUTPUT_KEYS if key in olds}
        return UpdateResult({
            **kept, **_dump(inputs), "copies": updated.copies, "claim": updated.claim, "previous_image_ids": updated.previous,
        })

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        request = host.serving_request()
        lifecycle, ref = self._images(), self._ref(props, id_, request)
        deadline = _deadline(props.get("wait_timeout_minutes"), request, "delete")
        with self._lock:
            replacing = self._diffed.get(_urn(request) or "")
            if replacing is not None and replacing.image_id == id_ and replacing.successor is not None:
                del self._diffed[_urn(request) or ""]
        if replacing is None or replacing.image_id != id_:
            lifecycle.delete(props, ref, deadline)
        elif replacing.successor is not None:  # replaced: its successor's create has finished
            lifecycle.delete(props, ref, deadline, replacing.successor)
        else:  # delete before replace: keep it until the new one is made
            lifecycle.park(props, ref, deadline)
            replacing.parked = True

    def _images(self) -> ImageLifecycle:
        """The process's image lifecycle, built on first use from the config the engine sent."""
        with self._lock:
            if self._lifecycle is None:
                api = CvmApi(resolve_settings(self._config))
                progress = ProgressLog(host.engine_address())
                service = ImageService(api, ImagePoller(api, report=progress.report), warn=progress.warn)
                regions = Regions(service, api, progress.report)
                usage = Usage(regions)
                distributor = Distributor(regions, usage)
                retention = Retention(service, regions, distributor, usage, warn=progress.warn)
                self._lifecycle = ImageLifecycle(service, distributor, retention)
            return self._lifecycle

    def _home_region(self) -> str:
        if self._region is None:
            self._region = resolve_region(self._config)
        return self._region

    def _ref(self, props: dict[str, Any], image_id: str | None, request: Any) -> ImageRef:
        """Which image the engine's request is about, and its resource's URN (for progress on the resource's row)."""
        return ImageRef(
            image_name=str(props.get("image_name", image_id)), region=self._home_region(),
            instance_id=props.get("instance_id"), image_id=image_id, urn=_urn(request),
        )


def _urn(request: Any) -> str | None:
    return getattr(request, "urn", None) or None


def _user_inputs(props: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in props.items() if key != PROVIDER_KEY and key not in OUTPUT_KEYS}


def _unknown_keys(props: dict[str, Any]) -> frozenset[str]:
    """The properties not known yet at preview (anything nested in them unknown)."""
    return frozenset(key for key, value in props.items() if _contains_unknown(value))


def _contains_unknown(value: Any) -> bool:
    """The provider server hands unknowns over as `Unknown` objects; tests and older paths use the UNKNOWN string."""
    if isinstance(value, dict):
        return any(_contains_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(_contains_unknown(v) for v in value)
    return isinstance(value, Unknown) or value == UNKNOWN


def _parse(props: dict[str, Any]) -> ImageInputs:
    """Inputs that Check already accepted; re-validated because the engine may skip Check (e.g. on import)."""
    normalised, failures = validate_inputs(_user_inputs(props))
    if failures:
        raise CvmImageError("Invalid CvmImage inputs: " + "; ".join(failure.reason for failure in failures))
    return ImageInputs.model_validate(normalised)


def _dump(inputs: ImageInputs) -> dict[str, Any]:
    return inputs.model_dump(exclude_none=True)


def _deadline(minutes: float | None, request: Any, operation: str) -> Deadline:
    """wait_timeout_minutes, or the resource's customTimeouts for this operation when it is shorter (the engine sends
    it with the request, but does not enforce it for dynamic providers)."""
    waited = 60 * float(minutes or DEFAULT_WAIT_TIMEOUT_MINUTES)
    custom = float(getattr(request, "timeout", 0) or 0)
    if 0 < custom < waited:
        return Deadline.after(custom, f"the resource's customTimeouts {operation} ({custom:g} s)")
    return Deadline.after(waited)
