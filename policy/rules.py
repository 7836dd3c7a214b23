"""The pack's policies as plain functions of ResourceValidationArgs, testable without the analyzer server.

Values still unknown at preview (e.g. a name computed from another resource's output) are not judged: the pack's
proxy raises UnknownValueError on reading them, and a policy that lets it escape is reported as not run. Each policy
skips such a value instead, so `pulumi up`, where it is known, is where it gets checked.
"""

import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

IMAGE_TYPE: Final = "pulumi-python:dynamic/cvm:Image"
INSTANCE_TYPE: Final = "tencentcloud:Instance/instance:Instance"
DEFAULT_ALLOWED_PATTERN: Final = "^[a-z0-9][a-z0-9-]*$"
DEFAULT_REQUIRED_TAGS: Final = ("team",)
DEFAULT_COPY_STACKS: Final = ("prod",)
DEFAULT_VERSION_STACKS: Final = ("prod",)

UNKNOWN: Final = object()


def stack_of(urn: str) -> str:
    """The stack of `urn:pulumi:<stack>::<project>::<type>::<name>`."""
    return urn.split("::", 1)[0].split(":", 2)[2]


def known(props: Mapping[str, Any], key: str) -> Any:
    """props[key] (None when absent), or UNKNOWN when preview cannot know it yet."""
    try:
        return props.get(key)
    except UnknownValueError:
        return UNKNOWN


def image_name_problems(image_name: str, prefix: str, allowed_pattern: str) -> list[str]:
    """What is wrong with an image name: a missing prefix, characters the pattern does not allow."""
    try:
        allowed = re.compile(allowed_pattern)
    except re.error as err:
        raise ValueError(
            f"policy config image-name-convention.allowedPattern {allowed_pattern!r} is not a regular expression: {err}"
        ) from None
    problems = []
    if not image_name.startswith(prefix):
        problems.append(f"does not start with the prefix {prefix!r}")
    if not allowed.search(image_name):
        problems.append(f"does not match the allowed pattern {allowed_pattern!r}")
    return problems


def missing_tags(tags: Mapping[str, Any], required: Sequence[str]) -> list[str]:
    """The required keys that tags lacks; only keys count, so a value unknown at preview is fine."""
    present = set(tags)  # iterating the keys never reads a (possibly unknown) value
    return [key for key in required if key not in present]


def validate_image_name(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != IMAGE_TYPE:
        return
    image_name = known(args.props, "image_name")
    if not isinstance(image_name, str):
        return
    stack = stack_of(args.urn)
    config = args.get_config()
    prefix = config.get("prefix", f"{stack}-")
    for problem in image_name_problems(image_name, prefix, config.get("allowedPattern", DEFAULT_ALLOWED_PATTERN)):
        report_violation(
            f"CvmImage '{args.name}': image_name {image_name!r} {problem}. Rename the image (imageName of its entry in "
            f"stacks/Pulumi.{stack}.yaml; a rename is an update in place): names start with {prefix!r} and, by "
            "default, use only lowercase letters, digits and '-', starting with a letter or digit.",
            None,
        )


def validate_image_description(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != IMAGE_TYPE:
        return
    description = known(args.props, "image_description")
    if description is UNKNOWN or (isinstance(description, str) and description.strip()):
        return
    report_violation(
        f"CvmImage '{args.name}' has no image_description. Say what the image holds and what it is for (description "
        "of its entry in the stack config); adding one later is an update in place.",
        None,
    )


def validate_builder_tags(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != INSTANCE_TYPE:
        return
    tags = known(args.props, "tags")
    if tags is UNKNOWN:
        return
    missing = missing_tags(tags or {}, args.get_config().get("requiredTags", DEFAULT_REQUIRED_TAGS))
    if missing:
        report_violation(
            f"Instance '{args.name}' lacks the tag(s) {', '.join(missing)}. Add them to the instance's tags "
            f"(tencentcloud.instance.Instance(tags={{{', '.join(repr(key) + ': ...' for key in missing)}}})) so that "
            "its cost and owner can be traced.",
            None,
        )


def missing_regions(copied: Sequence[str], required: Sequence[str]) -> list[str]:
    """The required regions an image is not copied to, in the config's order."""
    present = set(copied)
    return [region for region in required if region not in present]


def validate_copy_regions(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != IMAGE_TYPE:
        return
    config = args.get_config()
    required = config.get("requiredCopyRegions") or []
    stack = stack_of(args.urn)
    if not required or stack not in config.get("stacks", DEFAULT_COPY_STACKS):
        return
    try:
        copied = list(args.props.get("copy_to_regions") or [])
    except UnknownValueError:  # the list, or a region in it, is not known before `pulumi up`
        return
    missing = missing_regions(copied, required)
    if missing:
        report_violation(
            f"CvmImage '{args.name}' of stack {stack} is not copied to {', '.join(missing)}. Add them to its "
            f"copy_to_regions (copyToRegions of its entry in stacks/Pulumi.{stack}.yaml), so that every required "
            "region can launch instances from it.",
            None,
        )


def stacks_schema(default: Sequence[str], description: str) -> dict[str, Any]:
    """The config property of a rule that judges only some stacks' images."""
    return {"type": "array", "items": {"type": "string"}, "default": list(default), "description": description}


def validate_kept_versions(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != IMAGE_TYPE:
        return
    config = args.get_config()
    minimum = config.get("minimumKept")
    stack = stack_of(args.urn)
    if minimum is None or stack not in config.get("stacks", DEFAULT_VERSION_STACKS):
        return
    kept = known(args.props, "keep_previous") or 0
    if not isinstance(kept, int | float) or kept >= minimum:  # unknown at preview, or not a number (check refuses it)
        return
    report_violation(
        f"CvmImage '{args.name}' of stack {stack} keeps {kept:g} previous version(s), and {minimum:g} are required: "
        "without one, a bad image can only be fixed by a new build. Set keep_previous to at least "
        f"{minimum:g} (keepPrevious of its entry in stacks/Pulumi.{stack}.yaml; an update in place), so that "
        "rollback_to can make the previous image current again in one `pulumi up`.",
        None,
    )


POLICIES: Final[list[Policy]] = [
    ResourceValidationPolicy(
        name="image-name-convention",
        description="A CVM image's name starts with its stack's prefix and uses only the allowed characters.",
        validate=validate_image_name,
        config_schema=PolicyConfigSchema(
            properties={
                "prefix": {"type": "string", "description": "the prefix of every image name; default '<stack>-'"},
                "allowedPattern": {
                    "type": "string",
                    "default": DEFAULT_ALLOWED_PATTERN,
                    "description": "a regular expression (Python syntax) that every image name must match",
                },
            }
        ),
    ),
    ResourceValidationPolicy(
        name="image-description-required",
        description="A CVM image has a non-empty description.",
        validate=validate_image_description,
        # A description can be added at any time without replacing the image: warn, never block a rebuild.
        enforcement_level=EnforcementLevel.ADVISORY,
    ),
    ResourceValidationPolicy(
        name="builder-instance-tagged",
        description="A CVM instance (an image builder) carries the required tag keys.",
        validate=validate_builder_tags,
        config_schema=PolicyConfigSchema(
            properties={
                "requiredTags": {
                    "type": "array",
                    "items": {"type": "string"},
                    "default": list(DEFAULT_REQUIRED_TAGS),
                    "description": "the tag keys every instance must have",
                },
            }
        ),
    ),
    ResourceValidationPolicy(
        name="image-copied-to-regions",
        description="A CVM image of the listed stacks is copied to every region in requiredCopyRegions.",
        validate=validate_copy_regions,
        # Off until requiredCopyRegions is configured; advisory unless the config sets enforcementLevel.
        enforcement_level=EnforcementLevel.ADVISORY,
        config_schema=PolicyConfigSchema(
            properties={
                "requiredCopyRegions": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "regions (other than the stack's own) every image must be copied to; unset: no check",
                },
                "stacks": stacks_schema(DEFAULT_COPY_STACKS, "the stacks whose images the rule applies to"),
            }
        ),
    ),
    ResourceValidationPolicy(
        name="image-versions-kept",
        description="A CVM image of the listed stacks keeps at least minimumKept previous versions to roll back to.",
        validate=validate_kept_versions,
        # Off until minimumKept is configured; advisory unless the config sets enforcementLevel.
        enforcement_level=EnforcementLevel.ADVISORY,
        config_schema=PolicyConfigSchema(
            properties={
                "minimumKept": {
                    "type": "integer",
                    "minimum": 1,
                    "description": "how many replaced versions every image must keep (keep_previous); unset: no check",
                },
                "stacks": stacks_schema(DEFAULT_VERSION_STACKS, "the stacks that serve production, whose images the rule applies to"),
            }
        ),
    ),
]
