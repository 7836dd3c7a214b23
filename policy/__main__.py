"""The policy pack. Constructing a PolicyPack starts the analyzer's gRPC server and blocks, so nothing else lives here:
the policies are in rules.py, where the tests use them."""

from pulumi_policy import EnforcementLevel, PolicyPack

from rules import POLICIES

PolicyPack(name="cvm-images", enforcement_level=EnforcementLevel.MANDATORY, policies=POLICIES)
