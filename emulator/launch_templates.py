"""CVM launch templates and their numbered versions (a mixin of CvmBackend).

A template starts with version 1, its default; each new version takes the next number (numbers are never reused) and
inherits what it does not set from the version it is based on. What a version holds is kept as the request gave it
(`data`, LaunchTemplateVersionData's fields); only its ImageId is checked: a public image or a NORMAL private one.
"""

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import ApiError, dry_run
from .images import CVM_LAUNCH, LaunchCodes

if TYPE_CHECKING:
    from .backend import Region

LAUNCH_TEMPLATE_ID = re.compile(r"^lt-[a-z0-9]{8}$")
TEMPLATE_QUOTA = 30  # per region; Tencent names the limit (LimitExceeded.LaunchTemplateQuota) but not its number
MAX_VERSION = 30  # "每个实例启动模板最多创建30个版本" (CreateLaunchTemplateVersion), and MaxVersion defaults to 30


@dataclass
class TemplateVersion:
    number: int
    data: dict[str, Any]  # LaunchTemplateVersionData as given: ImageId, Placement, InstanceType, ...
    description: str
    created_at: float


@dataclass
class LaunchTemplate:
    template_id: str
    region: str
    name: str
    created_at: float
    versions: list[TemplateVersion]  # by number, ascending
    default_version: int = 1
    next_version: int = 2
    tags: list[dict[str, str]] = field(default_factory=list)  # LaunchTemplateTagSpecification's

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> "LaunchTemplate":
        return cls(**{**raw, "versions": [TemplateVersion(**version) for version in raw["versions"]]})

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def version(self, number: int) -> TemplateVersion:
        match = next((version for version in self.versions if version.number == number), None)
        if match is None:
            raise ApiError(
                "InvalidParameterValue.LaunchTemplateIdVerNotExisted",
                f"Launch template `{self.template_id}` has no version {number}.",
            )
        return match

    @property
    def latest_version(self) -> int:
        return self.versions[-1].number


@dataclass
class VersionDraft:
    """A validated CreateLaunchTemplate(Version) request: the version's data and description."""

    data: dict[str, Any]
    description: str = ""
    template_tags: list[dict[str, str]] = field(default_factory=list)  # CreateLaunchTemplate only
    dry_run: bool = False


@dataclass
class VersionQuery:
    """Which versions DescribeLaunchTemplateVersions asks for: listed `numbers`, or a range, or the default one."""

    numbers: list[int] = field(default_factory=list)
    min_version: int = 0
    max_version: int = MAX_VERSION
    default_only: bool = False


def check_version_number(number: int) -> None:
    if number < 1:
        raise ApiError("InvalidParameterValue.LaunchTemplateVersion", f"`{number}` is not a template version number.")


def _malformed(template_id: str) -> ApiError:
    return ApiError(
        "InvalidParameterValue.LaunchTemplateIdMalformed",
        f"Launch template id `{template_id}` is malformed: expected lt-xxxxxxxx.",
    )


class LaunchTemplateActions:
    """Create, list, version and delete launch templates; every lookup is by id in the request's region."""

    # Provided by CvmBackend and ImageActions.
    clock: Callable[[], float]
    region: Callable[[str], "Region"]
    _new_id: Callable[[str], str]
    _launchable_image: Callable[["Region", str, LaunchCodes], None]

    @staticmethod
    def _template(region: "Region", template_id: str) -> LaunchTemplate:
        if not LAUNCH_TEMPLATE_ID.match(template_id):
            raise _malformed(template_id)
        if template_id not in region.launch_templates:
            raise ApiError(
                "InvalidParameterValue.LaunchTemplateNotFound", f"Launch template `{template_id}` is not found."
            )
        return region.launch_templates[template_id]

    def create_launch_template(self, region_name: str, name: str, draft: VersionDraft) -> LaunchTemplate:
        region = self.region(region_name)
        self._launchable_image(region, str(draft.data["ImageId"]), CVM_LAUNCH)
        if len(region.launch_templates) >= TEMPLATE_QUOTA:
            raise ApiError(
                "LimitExceeded.LaunchTemplateQuota", f"A region holds at most {TEMPLATE_QUOTA} launch templates."
            )
        if draft.dry_run:
            raise dry_run()
        now = self.clock()
        template = LaunchTemplate(
            template_id=self._new_id("lt-"), region=region_name, name=name, created_at=now,
            versions=[TemplateVersion(1, draft.data, draft.description, now)], tags=draft.template_tags,
        )
        region.launch_templates[template.template_id] = template
        return template

    def create_launch_template_version(
        self, region_name: str, template_id: str, base: int | None, draft: VersionDraft
    ) -> int:
        """A new version of the template, based on version `base` (the default one if None); answers its number."""
        region = self.region(region_name)
        template = self._template(region, template_id)
        data = {**template.version(template.default_version if base is None else base).data, **draft.data}
        self._launchable_image(region, str(data["ImageId"]), CVM_LAUNCH)
        if template.next_version > MAX_VERSION:
            raise ApiError(
                "LimitExceeded.LaunchTemplateVersionQuota", f"A launch template has at most {MAX_VERSION} versions."
            )
        if draft.dry_run:
            raise dry_run()
        number, template.next_version = template.next_version, template.next_version + 1
        template.versions.append(TemplateVersion(number, data, draft.description, self.clock()))
        return number

    def listed_launch_templates(self, region_name: str, template_ids: list[str]) -> list[LaunchTemplate]:
        """The region's templates, oldest first; only those of `template_ids` if any are given (unknown ids: none)."""
        for template_id in template_ids:
            if not LAUNCH_TEMPLATE_ID.match(template_id):
                raise _malformed(template_id)
        templates = self.region(region_name).launch_templates.values()
        chosen = [t for t in templates if not template_ids or t.template_id in template_ids]
        return sorted(chosen, key=lambda template: (template.created_at, template.template_id))

    def template_versions(
        self, region_name: str, template_id: str, query: VersionQuery
    ) -> tuple[LaunchTemplate, list[TemplateVersion]]:
        template = self._template(self.region(region_name), template_id)
        if query.numbers:
            return template, [template.version(number) for number in sorted(set(query.numbers))]
        if query.default_only:
            return template, [template.version(template.default_version)]
        return template, [v for v in template.versions if query.min_version <= v.number <= query.max_version]

    def set_default_template_version(self, region_name: str, template_id: str, number: int) -> None:
        template = self._template(self.region(region_name), template_id)
        template.version(number)
        if template.default_version == number:
            raise ApiError(
                "InvalidParameterValue.LaunchTemplateIdVerSetAlready",
                "The specified launch template version had been set to default.",
            )
        template.default_version = number

    def delete_launch_template_versions(self, region_name: str, template_id: str, numbers: list[int]) -> None:
        """All of them or none: each must exist and none may be the default version."""
        template = self._template(self.region(region_name), template_id)
        for number in numbers:
            template.version(number)
            if number == template.default_version:
                raise ApiError(
                    "InvalidParameterValue.LaunchTemplateDefaultVersion",
                    f"Version {number} is the default version of `{template_id}`; it cannot be deleted.",
                )
        template.versions = [version for version in template.versions if version.number not in numbers]

    def delete_launch_template(self, region_name: str, template_id: str) -> None:
        region = self.region(region_name)
        del region.launch_templates[self._template(region, template_id).template_id]
