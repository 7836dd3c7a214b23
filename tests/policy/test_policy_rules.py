"""The policy pack's rules (policy/rules.py), called as the analyzer calls them, and the pack __main__.py serves."""

import subprocess
import sys
from contextlib import contextmanager
from collections.abc import Iterator, Mapping
from typing import Any

import grpc
import pytest
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc
from pulumi_policy import EnforcementLevel, PolicyCustomTimeouts, PolicyResourceOptions, ResourceValidationArgs
from pulumi_policy.proxy import UNKNOWN_ARRAY_VALUE, UNKNOWN_OBJECT_VALUE, UNKNOWN_STRING_VALUE, unknown_checking_proxy

from policy import rules
from tests.program.stack_run import ROOT, run_stack, stack_config

IMAGE_TYPE = "pulumi-python:dynamic/cvm:Image"
INSTANCE_TYPE = "tencentcloud:Instance/instance:Instance"
COMPONENT_TYPE = "cvm-images:index:GoldenImage"
POLICY_NAMES = {
    "image-name-convention", "image-description-required", "builder-instance-tagged", "image-copied-to-regions",
    "image-versions-kept",
}
COPY_POLICY = "image-copied-to-regions"
COPY_CONFIG = {"requiredCopyRegions": ["ap-singapore", "ap-hongkong"]}
VERSIONS_POLICY = "image-versions-kept"
VERSIONS_CONFIG = {"minimumKept": 1}
CLOUD_STACKS = ("dev", "prod")


def urn(stack: str, resource_type: str, name: str) -> str:
    return f"urn:pulumi:{stack}::cvm-images::{COMPONENT_TYPE}${resource_type}::{name}"


def check(
    policy: str,
    resource_type: str,
    props: Mapping[str, Any],
    *,
    stack: str = "dev",
    name: str = "web-image",
    config: Mapping[str, Any] | None = None,
) -> list[str]:
    """The violations one policy reports for one resource, with props behind the analyzer's unknown-checking proxy."""
    violations: list[str] = []
    options = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])
    args = ResourceValidationArgs(
        resource_type, unknown_checking_proxy(dict(props)), urn(stack, resource_type, name), name, options, None, config
    )
    [selected] = [p for p in rules.POLICIES if p.name == policy]
    selected.validate(args, lambda message, _urn=None: violations.append(message))
    return violations


def image(**props: Any) -> dict[str, Any]:
    return {"instance_id": "ins-abcdefgh", "image_name": "dev-web", "image_description": "web tier", **props}


def check_name(image_name: str, **kwargs: Any) -> list[str]:
    return check("image-name-convention", IMAGE_TYPE, image(image_name=image_name), **kwargs)


def check_tags(tags: Any, **kwargs: Any) -> list[str]:
    props = {"instanceName": "web-builder"} if tags is None else {"instanceName": "web-builder", "tags": tags}
    return check("builder-instance-tagged", INSTANCE_TYPE, props, name="web-builder", **kwargs)


def test_the_stack_comes_from_the_urn():
    assert rules.stack_of(urn("prod", IMAGE_TYPE, "web-image")) == "prod"
    assert rules.stack_of("urn:pulumi:dev::cvm-images::pulumi:pulumi:Stack::cvm-images-dev") == "dev"


@pytest.mark.parametrize(("stack", "image_name"), [("dev", "dev-web-base-2026-11"), ("prod", "prod-api-7"), ("local", "local-x")])
def test_an_image_named_after_its_stack_passes(stack, image_name):
    assert check_name(image_name, stack=stack) == []


def test_an_image_without_the_stack_prefix_is_reported_with_the_fix():
    [message] = check_name("web-base", stack="prod")
    assert "CvmImage 'web-image'" in message
    assert "'web-base' does not start with the prefix 'prod-'" in message
    assert "stacks/Pulumi.prod.yaml" in message


def test_another_stacks_prefix_is_not_enough():
    assert len(check_name("dev-web", stack="prod")) == 1


@pytest.mark.parametrize("image_name", ["dev-Web", "dev-web_base", "dev-web base", "dev-web.1", "dev-wéb"])
def test_characters_outside_the_default_pattern_are_reported(image_name):
    [message] = check_name(image_name)
    assert "does not match the allowed pattern '^[a-z0-9][a-z0-9-]*$'" in message


def test_a_name_can_break_both_rules_and_each_is_reported():
    assert len(check_name("Web_Base")) == 2


def test_the_prefix_comes_from_the_policy_config():
    config = {"prefix": "golden-"}
    assert check_name("golden-web", config=config) == []
    [message] = check_name("dev-web", config=config)
    assert "prefix 'golden-'" in message


def test_an_empty_prefix_in_the_config_turns_the_prefix_rule_off():
    assert check_name("web", config={"prefix": ""}) == []


def test_the_allowed_pattern_comes_from_the_policy_config():
    config = {"allowedPattern": "^[A-Za-z0-9_-]+$"}
    assert check_name("dev-Web_Base", config=config) == []
    assert check_name("dev-web.1", config=config) != []


def test_an_allowed_pattern_that_is_no_regular_expression_says_so():
    with pytest.raises(ValueError, match="allowedPattern '\\[' is not a regular expression"):
        check_name("dev-web", config={"allowedPattern": "["})


def test_an_image_name_unknown_at_preview_is_not_judged():
    assert check_name(UNKNOWN_STRING_VALUE) == []


def test_the_image_policies_ignore_other_resources():
    props = {"image_name": "Not_A_Name", "instanceName": "x"}
    assert check("image-name-convention", INSTANCE_TYPE, props) == []
    assert check("image-description-required", INSTANCE_TYPE, props) == []


def test_an_image_with_a_description_passes():
    assert check("image-description-required", IMAGE_TYPE, image()) == []


@pytest.mark.parametrize("description", [None, "", "   "])
def test_an_image_without_a_description_is_reported(description):
    props = image(image_description=description)
    if description is None:
        del props["image_description"]
    [message] = check("image-description-required", IMAGE_TYPE, props)
    assert message.startswith("CvmImage 'web-image' has no image_description.")
    assert "description of its entry in the stack config" in message


def test_a_description_unknown_at_preview_is_not_judged():
    assert check("image-description-required", IMAGE_TYPE, image(image_description=UNKNOWN_STRING_VALUE)) == []


def test_a_tagged_builder_passes():
    assert check_tags({"team": "infra", "env": "dev"}) == []


@pytest.mark.parametrize("tags", [None, {}, {"env": "dev"}])
def test_a_builder_without_the_team_tag_is_reported(tags):
    [message] = check_tags(tags)
    assert message.startswith("Instance 'web-builder' lacks the tag(s) team.")
    assert "tags={'team': ...}" in message


def test_the_required_tags_come_from_the_policy_config():
    config = {"requiredTags": ["team", "env", "cost-center"]}
    [message] = check_tags({"team": "infra", "env": "dev"}, config=config)
    assert "lacks the tag(s) cost-center." in message
    assert check_tags({"owner": "me"}, config={"requiredTags": ["owner"]}) == []


def test_tags_unknown_at_preview_are_not_judged():
    assert check_tags(UNKNOWN_OBJECT_VALUE) == []
    assert check_tags({"team": UNKNOWN_STRING_VALUE}) == []  # the key is there; only its value is not known yet


def test_the_tag_policy_ignores_images():
    assert check("builder-instance-tagged", IMAGE_TYPE, image()) == []


def test_each_policy_declares_its_config_and_enforcement():
    policies = {policy.name: policy for policy in rules.POLICIES}
    assert set(policies) == POLICY_NAMES
    assert set(policies["image-name-convention"].config_schema.properties) == {"prefix", "allowedPattern"}
    assert set(policies["builder-instance-tagged"].config_schema.properties) == {"requiredTags"}
    assert set(policies[COPY_POLICY].config_schema.properties) == {"requiredCopyRegions", "stacks"}
    assert policies[COPY_POLICY].enforcement_level is EnforcementLevel.ADVISORY
    assert set(policies[VERSIONS_POLICY].config_schema.properties) == {"minimumKept", "stacks"}
    assert policies[VERSIONS_POLICY].enforcement_level is EnforcementLevel.ADVISORY
    assert policies["image-name-convention"].config_schema.properties["allowedPattern"]["default"] == rules.DEFAULT_ALLOWED_PATTERN
    assert policies["image-description-required"].enforcement_level is EnforcementLevel.ADVISORY
    assert policies["image-name-convention"].enforcement_level is None  # the pack's mandatory default
    assert policies["builder-instance-tagged"].enforcement_level is None


@pytest.fixture(scope="module")
def analyzer() -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    """The real pack, started as the CLI starts it (`python policy`): it prints its gRPC port, then serves."""
    server = subprocess.Popen([sys.executable, "-u", "policy"], cwd=ROOT, stdout=subprocess.PIPE)
    try:
        port = int(server.stdout.readline())
        yield analyzer_pb2_grpc.AnalyzerStub(grpc.insecure_channel(f"127.0.0.1:{port}"))
    finally:
        server.kill()
        server.wait()


def analyze(analyzer: analyzer_pb2_grpc.AnalyzerStub, props: dict[str, Any], stack: str = "dev") -> list[tuple[str, int]]:
    properties = struct_pb2.Struct()
    properties.update(props)
    request = analyzer_pb2.AnalyzeRequest(
        type=IMAGE_TYPE, properties=properties, urn=urn(stack, IMAGE_TYPE, "web-image"), name="web-image"
    )
    return [(diagnostic.policyName, diagnostic.enforcementLevel) for diagnostic in analyzer.Analyze(request).diagnostics]


def test_the_pack_in_main_serves_exactly_these_policies_mandatory_but_the_description(analyzer):
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty())
    assert info.name == "cvm-images"
    assert {policy.name: policy.enforcementLevel for policy in info.policies} == {
        "image-name-convention": analyzer_pb2.MANDATORY,
        "image-description-required": analyzer_pb2.ADVISORY,
        "builder-instance-tagged": analyzer_pb2.MANDATORY,
        COPY_POLICY: analyzer_pb2.ADVISORY,
        VERSIONS_POLICY: analyzer_pb2.ADVISORY,
    }


def test_the_served_pack_reports_violations_and_skips_unknowns(analyzer):
    assert analyze(analyzer, {"image_name": "Web", "image_description": ""}) == [
        ("image-name-convention", analyzer_pb2.MANDATORY),
        ("image-name-convention", analyzer_pb2.MANDATORY),
        ("image-description-required", analyzer_pb2.ADVISORY),
    ]
    # No violation, and no "can't run policy during preview" diagnostic either.
    assert analyze(analyzer, {"image_name": UNKNOWN_STRING_VALUE, "image_description": UNKNOWN_STRING_VALUE}) == []


def violations_of_stack(stack: str, policy: str, config: dict[str, str] | None = None) -> list[str]:
    """The violations of one policy over every resource the program registers for a stack (its own file by default)."""
    registered, _ = run_stack(stack, config)
    return [
        message
        for resource in registered
        for message in check(policy, resource.type, resource.inputs, stack=stack, name=resource.name)
    ]


@pytest.mark.parametrize("stack", CLOUD_STACKS)
@pytest.mark.parametrize("policy", ["image-name-convention", "image-description-required"])
def test_the_committed_stacks_follow_the_image_policies(stack, policy):
    assert violations_of_stack(stack, policy) == []


def test_a_stack_run_with_another_stacks_image_names_is_caught():
    violations = violations_of_stack("prod", "image-name-convention", stack_config("dev"))
    assert len(violations) == 1
    assert "'dev-web-base-2026-11' does not start with the prefix 'prod-'" in violations[0]


@pytest.mark.parametrize("stack", CLOUD_STACKS)
def test_the_committed_stacks_tag_their_builders(stack):
    assert violations_of_stack(stack, "builder-instance-tagged") == []


def check_copies(copy_to_regions: Any, stack: str = "prod", config: Mapping[str, Any] | None = COPY_CONFIG) -> list[str]:
    props = image(image_name=f"{stack}-web") if copy_to_regions is None else image(image_name=f"{stack}-web", copy_to_regions=copy_to_regions)
    return check(COPY_POLICY, IMAGE_TYPE, props, stack=stack, config=config)


@pytest.mark.parametrize("config", [None, {}, {"requiredCopyRegions": []}])
def test_the_copy_rule_is_off_until_regions_are_configured(config):
    assert check_copies(None, config=config) == []


def test_a_prod_image_copied_to_every_required_region_passes():
    assert check_copies(["ap-hongkong", "ap-singapore", "ap-beijing"]) == []


@pytest.mark.parametrize(("copies", "missing"), [(None, "ap-singapore, ap-hongkong"), ([], "ap-singapore, ap-hongkong"), (["ap-singapore"], "ap-hongkong")])
def test_a_prod_image_missing_a_required_region_is_reported_with_the_fix(copies, missing):
    [message] = check_copies(copies)
    assert message.startswith(f"CvmImage 'web-image' of stack prod is not copied to {missing}.")
    assert "copyToRegions of its entry in stacks/Pulumi.prod.yaml" in message


def test_the_copy_rule_judges_only_the_configured_stacks():
    assert check_copies(None, stack="dev") == []
    assert len(check_copies(None, stack="dev", config={**COPY_CONFIG, "stacks": ["dev", "prod"]})) == 1
    assert check_copies(None, stack="prod", config={**COPY_CONFIG, "stacks": ["staging"]}) == []


def test_copies_unknown_at_preview_are_not_judged():
    assert check_copies(UNKNOWN_ARRAY_VALUE) == []
    assert check_copies(["ap-singapore", UNKNOWN_STRING_VALUE]) == []


def test_the_copy_rule_ignores_instances():
    assert check(COPY_POLICY, INSTANCE_TYPE, {"instanceName": "web-builder"}, stack="prod", config=COPY_CONFIG) == []


@contextmanager
def configured_analyzer(
    level: int, properties: dict[str, Any], policy: str = COPY_POLICY
) -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    """A fresh pack given a policy config, as the CLI gives `--policy-pack-config`."""
    server = subprocess.Popen([sys.executable, "-u", "policy"], cwd=ROOT, stdout=subprocess.PIPE)
    try:
        stub = analyzer_pb2_grpc.AnalyzerStub(grpc.insecure_channel(f"127.0.0.1:{int(server.stdout.readline())}"))
        config = struct_pb2.Struct()
        config.update(properties)
        stub.Configure(analyzer_pb2.ConfigureAnalyzerRequest(
            policyConfig={policy: analyzer_pb2.PolicyConfig(enforcementLevel=level, properties=config)}
        ))
        yield stub
    finally:
        server.kill()
        server.wait()


@pytest.mark.parametrize("level", [analyzer_pb2.ADVISORY, analyzer_pb2.MANDATORY])
def test_the_served_copy_rule_takes_its_regions_and_enforcement_from_the_policy_config(level):
    with configured_analyzer(level, COPY_CONFIG) as analyzer:
        prod_image = {"image_name": "prod-web", "image_description": "web", "copy_to_regions": ["ap-singapore"]}
        assert analyze(analyzer, prod_image, stack="prod") == [(COPY_POLICY, level)]
        assert analyze(analyzer, {**prod_image, "copy_to_regions": ["ap-singapore", "ap-hongkong"]}, stack="prod") == []


def check_kept(keep_previous: Any, stack: str = "prod", config: Mapping[str, Any] | None = VERSIONS_CONFIG) -> list[str]:
    props = image() if keep_previous is None else image(keep_previous=keep_previous)
    return check(VERSIONS_POLICY, IMAGE_TYPE, props, stack=stack, config=config)


@pytest.mark.parametrize("config", [None, {}, {"stacks": ["prod"]}])
def test_the_versions_rule_is_off_until_a_minimum_is_configured(config):
    assert check_kept(None, config=config) == []


@pytest.mark.parametrize("kept", [None, 0, 0.0])
def test_a_prod_image_that_keeps_no_previous_version_is_reported_with_the_fix(kept):
    [message] = check_kept(kept)
    assert message.startswith("CvmImage 'web-image' of stack prod keeps 0 previous version(s), and 1 are required")
    assert "keepPrevious of its entry in stacks/Pulumi.prod.yaml" in message and "rollback_to" in message


@pytest.mark.parametrize("kept", [1, 2.0])
def test_a_prod_image_that_keeps_enough_versions_passes(kept):
    assert check_kept(kept) == []
    assert len(check_kept(kept, config={"minimumKept": 3})) == 1


def test_the_versions_rule_judges_only_the_configured_stacks_and_images():
    assert check_kept(0, stack="dev") == []
    assert len(check_kept(0, stack="dev", config={**VERSIONS_CONFIG, "stacks": ["dev", "prod"]})) == 1
    assert check(VERSIONS_POLICY, INSTANCE_TYPE, {"instanceName": "web-builder"}, stack="prod", config=VERSIONS_CONFIG) == []


def test_a_count_unknown_at_preview_is_not_judged():
    assert check_kept(UNKNOWN_STRING_VALUE) == []


@pytest.mark.parametrize("level", [analyzer_pb2.ADVISORY, analyzer_pb2.MANDATORY])
def test_the_served_versions_rule_takes_its_minimum_and_enforcement_from_the_policy_config(level):
    with configured_analyzer(level, VERSIONS_CONFIG, VERSIONS_POLICY) as analyzer:
        prod_image = {"image_name": "prod-web", "image_description": "web", "keep_previous": 0}
        assert analyze(analyzer, prod_image, stack="prod") == [(VERSIONS_POLICY, level)]
        assert analyze(analyzer, {**prod_image, "keep_previous": 1}, stack="prod") == []
