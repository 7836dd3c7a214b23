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
from .model.diff import diff_image
from .model.inputs import DEFAULT_WAIT_TIMEOUT_MINUTES, INPUT_KEYS, OUTPUT_KEYS, ImageInputs, validate_inputs
from .operations.copies import Regions
from .operations.distribution import Distribution, Distributor
from .operations.facts import live_outputs, user_tags
from .operations.images import ImageService
from .progress import ProgressLog
from .waiting.poller import ImagePoller

PROVIDER_KEY = "__provider"

host.adapt()


class CvmImageProvider(ResourceProvider):
    """Create, read, update and delete CVM custom images made with CreateImage."""

    def __init__(self) -> None:
        super().__init__()
        self._config: dict[str, str] = {}
        self._service: ImageService | None = None
        self._distributor: Distributor | None = None
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, _state: dict[str, Any]) -> None:
        self.__init__()

    def configure(self, req: ConfigureRequest) -> None:
        self._config = {key: value for key in CONFIG_KEYS if (value := req.config.get(key)) is not None}

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        props = _user_inputs(news)
        inputs, failures = validate_inputs(props, _unknown_keys(props), resolve_region(self._config))
        return CheckResult(inputs, [CheckFailure(failure.property, failure.reason) for failure in failures])

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        result = diff_image(olds, news, _unknown_keys(news))
        if not result.changed:
            return DiffResult(changes=False)
        # changes=None (DIFF_UNKNOWN) lets the engine compute the per-property diff that `preview --diff` shows.
        return DiffResult(changes=None, replaces=list(result.replaces), delete_before_replace=result.delete_before_replace)

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = _parse(props)
        service, deadline = self._images(), _deadline(inputs.wait_timeout_minutes)
        ref = _ref(props, None, service.region)
        if inputs.adopt_image:
            image, request_id = service.adopt(inputs, ref, deadline), None
        else:
            image, request_id = service.create(inputs, ref, deadline)
        ref = ref.identified(image["ImageId"])
        copies = self._distribution().converge(image, inputs, Distribution(), {}, False, ref, deadline)
        outputs = {**_dump(inputs), **live_outputs(image), "request_id": request_id, "copies": copies}
        return CreateResult(image["ImageId"], outputs)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        service = self._images()
        ref, deadline = _ref(props, id_, service.region), _deadline(props.get("wait_timeout_minutes"))
        image = service.read(id_, ref, deadline)
        if image is None:
            return ReadResult("", {})  # gone: `pulumi refresh` drops it from the stack
        live = {
            "image_name": image.get("ImageName"),
            "image_description": image.get("ImageDescription") or None,
            "tags": user_tags(image) or None,
            **self._distribution().read(image, props, ref, deadline),
        }
        inputs = {key: value for key, value in {**props, **live}.items() if key in INPUT_KEYS and value is not None}
        outputs = {**inputs, **live_outputs(image), "request_id": props.get("request_id"), "copies": live["copies"]}
        return ReadResult(id_, outputs, inputs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        inputs = _parse(news)
        service = self._images()
        renamed = (olds.get("image_name"), olds.get("image_description") or "") != (inputs.image_name, inputs.image_description or "")
        ref, deadline = _ref(news, id_, service.region), _deadline(inputs.wait_timeout_minutes)
        image = {"ImageId": id_, "CreatedTime": olds.get("created_time")}
        copies = self._distribution().converge(image, inputs, Distribution.of(olds), olds.get("copies") or {}, renamed, ref, deadline)
        old_tags, new_tags = olds.get("tags") or {}, inputs.tags or {}
        if old_tags != new_tags:
            service.retag(id_, old_tags, new_tags, ref, deadline)  # in place, through the Tag API: same image id
        kept = {key: olds[key] for key in OUTPUT_KEYS if key in olds}
        return UpdateResult({**kept, **_dump(inputs), "copies": copies})

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        service = self._images()
        ref, deadline = _ref(props, id_, service.region), _deadline(props.get("wait_timeout_minutes"))
        image = {"ImageId": id_, "CreatedTime": props.get("created_time")}
        self._distribution().remove(image, props, ref, deadline)
        service.delete(id_, bool(props.get("delete_bound_snapshots")), ref, deadline)

    def _images(self) -> ImageService:
        """The process's image service, built on first use from the config the engine sent."""
        with self._lock:
            if self._service is None:
                api = CvmApi(resolve_settings(self._config))
                report = ProgressLog(host.engine_address()).report
                self._service = ImageService(api, ImagePoller(api, report=report))
                self._distributor = Distributor(Regions(self._service, api, report))
            return self._service

    def _distribution(self) -> Distributor:
        """Copies, shares and family, over the same home-region service and poller as `_images`."""
        self._images()
        assert self._distributor is not None
        return self._distributor


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


def _deadline(minutes: float | None) -> Deadline:
    return Deadline.after(60 * float(minutes or DEFAULT_WAIT_TIMEOUT_MINUTES))


def _ref(props: dict[str, Any], image_id: str | None, region: str) -> ImageRef:
    """Which image the engine's request is about, and its resource's URN (for progress on the resource's row)."""
    return ImageRef(
        image_name=str(props.get("image_name", image_id)), region=region, instance_id=props.get("instance_id"),
        image_id=image_id, urn=host.serving_urn(),
    )
