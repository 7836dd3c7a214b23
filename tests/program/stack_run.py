"""Run `__main__.py` for one stack file under Pulumi's mocks, recording what it registers."""

import json
import runpy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.runtime import settings
from pulumi.runtime.config import set_all_config

ROOT = Path(__file__).resolve().parents[2]
PROJECT = "cvm-images"
STACK_REFERENCE_TYPE = "pulumi:pulumi:StackReference"
# What every stack a program references exports, unless a test says otherwise: one tested image, `web`.
SOURCE_OUTPUTS = {"image_ids": {"web": "img-promoted"}, "image_copies": {"web": {"ap-shanghai": "img-shcopy01"}}}


@dataclass
class Registration:
    type: str
    name: str
    inputs: dict[str, Any]


@dataclass
class RecordingMocks(pulumi.runtime.Mocks):
    """Answers every registration with its own inputs and a made-up id, and every StackReference with
    `source_outputs`; remembers each one."""

    source_outputs: dict[str, Any] = field(default_factory=lambda: SOURCE_OUTPUTS)
    registered: list[Registration] = field(default_factory=list)

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.registered.append(Registration(args.typ, args.name, dict(args.inputs)))
        if args.typ == STACK_REFERENCE_TYPE:
            return args.name, {**args.inputs, "outputs": self.source_outputs}
        outputs = dict(args.inputs)
        if args.typ == "pulumi-python:dynamic/cvm:Image":
            outputs["image_id"] = f"img-{args.name[:8]}"
        return f"{args.name}-id", outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        return {}


def stack_config(stack: str) -> dict[str, str]:
    """The stack file's config as the engine hands it to a program: namespaced keys, objects as JSON."""
    raw = yaml.safe_load((ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text())["config"]
    return {key: value if isinstance(value, str) else json.dumps(value) for key, value in raw.items()}


def run_stack(
    stack: str, config: dict[str, str] | None = None, source_outputs: dict[str, Any] = SOURCE_OUTPUTS
) -> tuple[list[Registration], dict[str, Any]]:
    """Run the program; returns the registrations and the resolved `image_ids` export (baked and promoted images)."""
    mocks = RecordingMocks(source_outputs)
    settings.ROOT.set(None)  # a fresh root stack resource for each run in this process
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=stack, preview=False)
    set_all_config(config if config is not None else stack_config(stack))
    exported: dict[str, Any] = {}

    @pulumi.runtime.test
    def program() -> pulumi.Output[Any]:
        namespace = runpy.run_path(str(ROOT / "__main__.py"))
        images = {**{name: image.image_id for name, image in namespace["golden"].items()}, **namespace["promoted"]}
        return pulumi.Output.all(**images).apply(exported.update)

    program()
    return mocks.registered, exported
