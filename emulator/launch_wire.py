"""The wire format of what launches from an image besides instances: CVM launch templates (LaunchTemplateInfo,
LaunchTemplateVersionInfo) and Auto Scaling launch configurations (LaunchConfiguration), and their part of the
control API's view of the state."""

from typing import Any

from .backend import CvmBackend
from .config import ACCOUNT_UIN
from .launch_configurations import LaunchConfiguration
from .launch_templates import LaunchTemplate, TemplateVersion
from .timeline import iso_time

Described = dict[str, Any]  # a resource as the API answers it

VERSION_DATA_DEFAULTS = {"InstanceCount": 1, "InstanceChargeType": "POSTPAID_BY_HOUR"}
CONFIGURATION_DEFAULTS = {
    "ProjectId": 0, "SystemDisk": {"DiskType": "CLOUD_PREMIUM", "DiskSize": 50}, "DataDisks": [],
    "SecurityGroupIds": [], "UserData": None, "InstanceChargeType": "POSTPAID_BY_HOUR", "InstanceTags": [],
    "CamRoleName": "", "DiskTypePolicy": "ORIGINAL", "LastOperationInstanceTypesCheckPolicy": "ANY",
}


def describe_launch_template(template: LaunchTemplate) -> Described:
    """A LaunchTemplateSet item of DescribeLaunchTemplates."""
    return {
        "LaunchTemplateId": template.template_id,
        "LaunchTemplateName": template.name,
        "DefaultVersionNumber": template.default_version,
        "LatestVersionNumber": template.latest_version,
        "LaunchTemplateVersionCount": len(template.versions),
        "CreatedBy": ACCOUNT_UIN,
        "CreationTime": iso_time(template.created_at),
    }


def describe_template_version(template: LaunchTemplate, version: TemplateVersion) -> Described:
    """A LaunchTemplateVersionSet item of DescribeLaunchTemplateVersions; the image is LaunchTemplateVersionData's
    ImageId."""
    data = {**VERSION_DATA_DEFAULTS, **version.data}
    data["Placement"] = {"ProjectId": 0, **data["Placement"]}
    return {
        "LaunchTemplateId": template.template_id,
        "LaunchTemplateVersion": version.number,
        "LaunchTemplateVersionData": data,
        "LaunchTemplateVersionDescription": version.description,
        "IsDefaultVersion": version.number == template.default_version,
        "CreatedBy": ACCOUNT_UIN,
        "CreationTime": iso_time(version.created_at),
    }


def describe_launch_configuration(config: LaunchConfiguration, status: str) -> Described:
    """A LaunchConfigurationSet item of DescribeLaunchConfigurations."""
    created = iso_time(config.created_at)
    return {
        **CONFIGURATION_DEFAULTS,
        **config.settings,
        "LaunchConfigurationId": config.config_id,
        "LaunchConfigurationName": config.name,
        "ImageId": config.image_id,
        "ImageFamily": config.image_family,
        "InstanceType": config.instance_types[0],
        "InstanceTypes": list(config.instance_types),
        "Tags": [{**tag, "ResourceType": "launch-configuration"} for tag in config.tags],
        "LaunchConfigurationStatus": status,
        "AutoScalingGroupAbstractSet": [],
        "VersionNumber": 1,
        "CreatedTime": created,
        "UpdatedTime": created,
    }


def launch_control_state(backend: CvmBackend) -> dict[str, list[Described]]:
    """GET /_emulator/state's `launch_templates` (each with its Region, Tags and Versions) and
    `launch_configurations` (each with its Region)."""
    templates, configs = [], []
    for name, region in backend.regions.items():
        templates += [
            {**describe_launch_template(template), "Region": name, "Tags": [dict(tag) for tag in template.tags],
             "Versions": [describe_template_version(template, version) for version in template.versions]}
            for template in region.launch_templates.values()
        ]
        configs += [
            {**describe_launch_configuration(config, backend.launch_configuration_status(config)), "Region": name}
            for config in region.launch_configurations.values()
        ]
    return {"launch_templates": templates, "launch_configurations": configs}
