"""What launches from an image, looked up in its region before the provider deletes it: CVM instances, CVM launch
template versions and Auto Scaling launch configurations. None of their Describe actions filters by image, so each
region's are listed once (every page) for all the images about to be deleted there, and compared here. Only deletes
look (never a preview, whose Check and Diff call no API)."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..cloud.client import CvmApi, LaunchTemplate
from ..cloud.retry import Deadline, tolerating
from .copies import Regions

# An instance on its way out, or one that never launched, needs its image no more.
NOT_USING_STATES = ("TERMINATING", "LAUNCH_FAILED")
TEMPLATE_GONE = "InvalidParameterValue.LaunchTemplateNotFound"  # deleted between the listing and its versions


@dataclass(frozen=True)
class Located:
    """An image (or a copy) in its region. `family`: the image family a launch configuration may launch it by; set
    only for an image that nothing newer replaces (the current image, at destroy)."""

    region: str
    image_id: str
    family: str | None = None


@dataclass
class Users:
    """What launches from one image: instance ids, launch template versions by template id, launch configurations."""

    instances: list[str] = field(default_factory=list)
    template_versions: dict[str, list[int]] = field(default_factory=dict)
    configurations: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.instances or self.template_versions or self.configurations)

    def describe(self) -> str:
        """e.g. `instances ins-1, ins-2; launch template lt-1 versions 1, 3; launch configuration asc-1`."""
        parts = [_listed("instance", self.instances)] if self.instances else []
        for template_id, numbers in sorted(self.template_versions.items()):
            versions = ", ".join(map(str, sorted(numbers)))
            parts.append(f"launch template {template_id} version{'s' if len(numbers) > 1 else ''} {versions}")
        if self.configurations:
            parts.append(_listed("launch configuration", self.configurations))
        return "; ".join(parts)


def lines(used: dict[Located, Users]) -> list[str]:
    """One line an image in use, for messages: `img-1 in ap-guangzhou: instance ins-1`."""
    return [f"{image.image_id} in {image.region}: {users.describe()}" for image, users in used.items()]


def _listed(kind: str, ids: list[str]) -> str:
    return f"{kind}{'s' if len(ids) > 1 else ''} {', '.join(sorted(ids))}"


class Usage:
    """The usage lookups of one provider process, through each region's API."""

    def __init__(self, regions: Regions) -> None:
        self._regions = regions

    def in_use(self, images: Iterable[Located], deadline: Deadline) -> dict[Located, Users]:
        """The images among `images` that something launches from, with what does."""
        by_region: dict[str, list[Located]] = defaultdict(list)
        for image in images:
            by_region[image.region].append(image)
        found: dict[Located, Users] = {}
        for region, located in sorted(by_region.items()):
            found.update(_users_in(self._regions[region].api, located, deadline))
        return {image: users for image, users in found.items() if users}


def _users_in(api: CvmApi, images: list[Located], deadline: Deadline) -> dict[Located, Users]:
    """One listing of the region's instances, templates (and their versions) and launch configurations."""
    users = {image: Users() for image in images}
    by_id = {image.image_id: users[image] for image in images}
    by_family: dict[str, list[Users]] = defaultdict(list)
    for image in images:
        if image.family:
            by_family[image.family].append(users[image])
    for instance in api.instances(deadline):
        if instance.get("ImageId") in by_id and instance.get("InstanceState") not in NOT_USING_STATES:
            by_id[instance["ImageId"]].instances.append(instance["InstanceId"])
    for template in api.launch_templates(deadline):
        for version in _versions(api, template, deadline):
            image_id = (version.get("LaunchTemplateVersionData") or {}).get("ImageId")
            if image_id in by_id:
                numbers = by_id[image_id].template_versions.setdefault(template["LaunchTemplateId"], [])
                numbers.append(int(version["LaunchTemplateVersion"]))
    for configuration in api.autoscaling.launch_configurations(deadline):
        config_id, family = configuration["LaunchConfigurationId"], configuration.get("ImageFamily")
        if configuration.get("ImageId") in by_id:
            by_id[configuration["ImageId"]].configurations.append(config_id)
        for holder in by_family.get(family or "", []):
            holder.configurations.append(f"{config_id} (by its image family {family})")
    return users


def _versions(api: CvmApi, template: LaunchTemplate, deadline: Deadline) -> list[LaunchTemplate]:
    with tolerating(TEMPLATE_GONE):
        return list(api.launch_template_versions(template["LaunchTemplateId"], deadline))
    return []
