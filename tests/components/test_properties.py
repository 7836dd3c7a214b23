"""Property-based: whatever the program sends, check and diff answer with failures or a result, never an exception;
what check accepts it accepts again unchanged; diff follows the README's diff table."""

from collections import Counter

from hypothesis import event, given, settings
from hypothesis import strategies as st
from pulumi.runtime.rpc import UNKNOWN

from components import CvmImageProvider
from components.model.inputs import RESERVED_TAG_PREFIXES

from tests.components.diff_table import INPUTS, REPLACE, ROLLBACK, UPDATE, contains_unknown

# The README's inputs ("CvmImage inputs"), written out: expectations never come from the code under test.
INPUT_KEYS = frozenset(INPUTS)
REQUIRED_KEYS = frozenset({"instance_id", "image_name"})

# -- anything at all ------------------------------------------------------------------------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=80),
    st.just(UNKNOWN),
    st.sampled_from(["true", "FALSE", "ins-abcd1234", "disk-abcd1234", "img-abcd1234", "x" * 61]),
)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4), max_leaves=8)
keys = st.one_of(st.sampled_from(sorted(INPUT_KEYS)), st.text(max_size=12))
props = st.dictionaries(keys, values, max_size=8)

# -- valid inputs, as a program would write them (README "CvmImage inputs"), now and then one value still unknown ----


def shaped_id(prefix: str) -> st.SearchStrategy[str]:
    return st.from_regex(rf"\A{prefix}-[a-z0-9]{{8}}\Z")


def maybe_unknown(strategy: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(strategy, strategy, strategy, st.just(UNKNOWN))


printable = st.characters(blacklist_categories=("Cc", "Cs"))
image_names = st.text(printable, min_size=1, max_size=60).map(str.strip).filter(bool)
flexible_bools = st.sampled_from([True, False, "true", "false", "TRUE", " False "])
# Tag keys and values of characters the tag service allows (letters, digits, CJK, inner spaces, some punctuation).
tag_text = st.text("abcXYZ0189-_.:/@=+()[],;<> 镜像", min_size=1, max_size=127).map(str.strip).filter(bool)
tag_keys = tag_text.filter(lambda key: not key.lower().startswith(RESERVED_TAG_PREFIXES))
valid_inputs = st.fixed_dictionaries(
    {"instance_id": maybe_unknown(shaped_id("ins")), "image_name": maybe_unknown(image_names)},
    optional={
        "image_description": st.text(max_size=256),
        "force_poweroff": flexible_bools,
        "sysprep": flexible_bools,
        "reboot": flexible_bools,
        "data_disk_ids": st.lists(maybe_unknown(shaped_id("disk")), max_size=4, unique=True),
        "tags": st.dictionaries(tag_keys, maybe_unknown(tag_text), max_size=4),
        "delete_bound_snapshots": flexible_bools,
        "wait_timeout_minutes": st.one_of(st.integers(1, 1440), st.floats(0, 1440, exclude_min=True)),
        "adopt_image": st.one_of(shaped_id("img"), image_names.filter(lambda name: not name.startswith("img-"))),
        "keep_previous": st.one_of(st.integers(0, 100), st.integers(0, 100).map(float)),
        "rollback_to": shaped_id("img"),
        "delete_in_use": flexible_bools,
    },
)
# ... or with one thing wrong: an unknown key, a malformed id, an over-long name.
broken_inputs = st.one_of(
    st.builds(lambda good, key: {**good, key: "x"}, valid_inputs, st.text(min_size=1, max_size=12).filter(lambda k: k not in INPUT_KEYS)),
    st.builds(lambda good, bad: {**good, "instance_id": bad}, valid_inputs, st.text(max_size=12)),
    st.builds(lambda good: {**good, "image_name": "x" * 61}, valid_inputs),
)
# Three in four valid (st.one_of would pick each of its flattened branches alike, broken ones three times as often).
mostly_valid_inputs = st.integers(0, 3).flatmap(lambda n: broken_inputs if n == 0 else valid_inputs)

PROVIDER = CvmImageProvider()


@settings(max_examples=400, deadline=None)
@given(props)
def test_check_never_raises(news):
    result = PROVIDER.check({}, news)
    for failure in result.failures:
        assert failure.property in news.keys() | INPUT_KEYS and failure.reason  # names a property sent or a missing one
    if result.failures:
        # nothing half-normalised goes on: the values sent, less the provider's own keys
        assert set(result.inputs) <= set(news) and result.inputs == {key: news[key] for key in result.inputs}
    else:
        assert REQUIRED_KEYS <= set(result.inputs) <= INPUT_KEYS  # accepted: every required key, no stray one


def test_accepted_inputs_are_accepted_again():
    """Check's output is a fixed point: what it accepted (and normalised) it accepts unchanged."""
    outcomes: Counter[str] = Counter()

    @settings(max_examples=300, deadline=None)
    @given(mostly_valid_inputs)
    def accepted_twice(news):
        first = PROVIDER.check({}, news)
        outcome = "rejected" if first.failures else "accepted" + (" with unknowns" if contains_unknown(news) else "")
        event(outcome)
        outcomes[outcome] += 1
        if first.failures:
            return
        second = PROVIDER.check({}, first.inputs)
        assert second.failures == [] and second.inputs == first.inputs

    accepted_twice()
    print(dict(outcomes))
    # The property was really exercised: most examples were accepted, all known (about 85 of 300) or with a value
    # still unknown (about 155), and the broken ones were rejected (about 60).
    assert outcomes["accepted"] >= 30 and outcomes["accepted with unknowns"] >= 50 and outcomes["rejected"] >= 20, outcomes


def expected_diff(olds, news) -> tuple[bool, set[str]]:
    """The README's diff table: (changed, replaced keys). Empty (or false, or 0) equals missing, the order of a list
    does not count, an unknown new value is a change; rollback_to replaces only when it names an image other than the
    recorded one and than the recorded rollback. The old image is never deleted first."""

    def same(old, new) -> bool:
        if contains_unknown(new):
            return False
        old, new = (None if value is None or value is False or value in ("", [], {}, 0) else value for value in (old, new))
        if isinstance(old, list) and isinstance(new, list):
            return Counter(map(repr, old)) == Counter(map(repr, new))
        return old == new

    changed = {key for key in REPLACE + UPDATE if not same(olds.get(key), news.get(key))}
    changed |= {
        key for key in ROLLBACK
        if contains_unknown(news.get(key)) or news.get(key) and news.get(key) not in (olds.get("image_id"), olds.get(key))
    }
    return bool(changed), changed & set(REPLACE + ROLLBACK)


@settings(max_examples=400, deadline=None)
@given(st.one_of(props, valid_inputs), st.one_of(props, valid_inputs))
def test_diff_never_raises_and_follows_the_diff_table(olds, news):
    result = PROVIDER.diff("img-abcd1234", olds, news)
    changed, replaced = expected_diff(olds, news)
    event("changed" if changed else "no change")
    assert result.changes is changed
    assert set(result.replaces or []) == replaced
    assert not result.delete_before_replace


@settings(max_examples=200, deadline=None)
@given(props)
def test_diff_of_anything_with_itself_is_no_change_unless_unknown(inputs):
    result = PROVIDER.diff("img-abcd1234", inputs, inputs)
    assert result.changes is False or UNKNOWN in repr(inputs)
