"""Property-based: whatever the program sends, check and diff answer with failures or a result, never an exception."""

from hypothesis import given, settings
from hypothesis import strategies as st
from pulumi.runtime.rpc import UNKNOWN

from components import CvmImageProvider
from components.models import INPUT_KEYS

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

PROVIDER = CvmImageProvider()


@settings(max_examples=400, deadline=None)
@given(props)
def test_check_never_raises(news):
    result = PROVIDER.check({}, news)
    assert isinstance(result.failures, list)
    for failure in result.failures:
        assert failure.property in news.keys() | INPUT_KEYS and failure.reason  # names a property sent or a missing one


@settings(max_examples=200, deadline=None)
@given(props)
def test_accepted_inputs_are_accepted_again(news):
    """Check's output is a fixed point: what it accepted (and normalised) it accepts unchanged."""
    first = PROVIDER.check({}, news)
    if not first.failures:
        second = PROVIDER.check({}, first.inputs)
        assert second.failures == [] and second.inputs == first.inputs


@settings(max_examples=400, deadline=None)
@given(props, props)
def test_diff_never_raises_and_replaces_only_known_keys(olds, news):
    result = PROVIDER.diff("img-abcd1234", olds, news)
    assert result.changes in (None, False)
    assert set(result.replaces or []) <= {"instance_id", "data_disk_ids", "tags"}
    if result.changes is False:
        assert not result.replaces and not result.delete_before_replace


@settings(max_examples=200, deadline=None)
@given(props)
def test_diff_of_anything_with_itself_is_no_change_unless_unknown(inputs):
    result = PROVIDER.diff("img-abcd1234", inputs, inputs)
    assert result.changes is False or UNKNOWN in repr(inputs)
