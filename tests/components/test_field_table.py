"""One field table (components/model/inputs.py: ImageInputs) for every place that names the inputs: each input's diff
effect is the README's, and CvmImageArgs, the stack config entry (GoldenImageArgs) and CvmImage's outputs list exactly
the table's names with its defaults. A new input added in one place only fails here, naming where it is missing."""

import re
from dataclasses import MISSING, fields
from pathlib import Path

import pytest

from components import CvmImage, CvmImageArgs, GoldenImageArgs
from components.model.diff import REPLACE_KEYS, ROLLBACK_KEYS, UPDATE_KEYS
from components.model.inputs import INPUT_KEYS, OUTPUT_KEYS, Effect, ImageInputs, keys_with
from tests.components.diff_table import CREATION_ONLY, INPUTS, REPLACE, ROLLBACK, UPDATE

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()
TABLE = list(ImageInputs.model_fields)
STACK_ONLY = {"name", "builder"}  # GoldenImageArgs' own fields: the resource name and the builder instance


def table_default(name: str) -> object:
    field = ImageInputs.model_fields[name]
    return MISSING if field.is_required() else field.default


def test_every_input_has_the_effect_the_readme_gives_it() -> None:
    assert sorted(TABLE) == sorted(INPUTS), "an input is missing from the README's diff table (tests/components/diff_table.py) or from the code"
    assert keys_with(Effect.REPLACE) == REPLACE and keys_with(Effect.UPDATE) == UPDATE
    assert keys_with(Effect.CREATION) == CREATION_ONLY and keys_with(Effect.ROLLBACK) == ROLLBACK
    assert (REPLACE_KEYS, UPDATE_KEYS, ROLLBACK_KEYS) == (REPLACE, UPDATE, ROLLBACK)  # the diff reads the table


def test_the_readme_diff_table_names_each_input_in_its_row() -> None:
    """The rows of "What a change does" that name inputs: each key in the row of its effect."""
    section = README.split("## What a change does", 1)[1].split("\n## ", 1)[0]
    named: dict[str, str] = {}  # key -> the effect column of the first row that names it
    for line in section.splitlines():
        if line.startswith("| `"):
            _, change, effect, *_ = line.split("|")
            for key in re.findall(r"`([a-z_]+)`", change):
                named.setdefault(key, effect)
    for key in CREATION_ONLY:
        assert "no change" in named[key], key
    for key in REPLACE:
        assert "replace" in named[key], key
    for key in UPDATE:
        assert "update in place" in named[key], key
    for key in ROLLBACK:
        assert "replace by that retained version" in named[key] and "no build" in named[key], key


def test_cvm_image_args_are_the_table_in_its_order_with_its_defaults() -> None:
    args = fields(CvmImageArgs)
    assert [field.name for field in args] == TABLE
    for field in args:
        assert field.default == table_default(field.name), field.name


def test_the_stack_config_entry_carries_every_input_with_the_tables_defaults_in_camel_case() -> None:
    entry = GoldenImageArgs.model_fields
    assert set(entry) - STACK_ONLY == set(TABLE)
    for name in TABLE:
        expected = MISSING if name in ("instance_id",) else table_default(name)  # instanceId or builder
        default = None if entry[name].is_required() else entry[name].default
        assert default == (None if expected is MISSING else expected), name
    assert entry["image_description"].alias == "description"
    assert entry["copy_to_regions"].alias == "copyToRegions" and entry["wait_for_poweroff"].alias == "waitForPoweroff"


@pytest.mark.parametrize("name", [name for name in TABLE if ImageInputs.model_fields[name].annotation is not None and "bool" in str(ImageInputs.model_fields[name].annotation)])
def test_the_stack_config_entry_takes_a_boolean_as_the_resource_does(name: str) -> None:
    entry = GoldenImageArgs.model_validate({"name": "web", "imageName": "w", "instanceId": "ins-00000001", name: "true"})
    assert getattr(entry, name) is True


def test_cvm_image_outputs_are_table_names_and_every_output() -> None:
    annotated = set(CvmImage.__annotations__)
    assert set(OUTPUT_KEYS) <= annotated and annotated <= set(OUTPUT_KEYS) | INPUT_KEYS
