"""An audit entry's values as people read them (web.templating.readable), never Python reprs."""

from hypothesis import given
from hypothesis import strategies as st

from vendorgov.web.templating import readable

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet="abc 保洁", max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(alphabet="xyz", min_size=1, max_size=3), inner, max_size=3)
    ),
    max_leaves=8,
)


def test_lists_mappings_and_nothing_read_plainly():
    assert readable(["cleaning", "security"]) == "cleaning, security"
    assert readable({"fee": "50000.00", "until": None}) == "fee: 50000.00; until: —"
    assert readable(None) == readable("") == readable([]) == readable({}) == "—"
    assert readable(True) == "yes" and readable(False) == "no"
    assert readable(3) == "3"


@given(JSON)
def test_no_value_is_shown_as_a_python_repr(value):
    shown = readable(value)
    assert isinstance(shown, str) and shown
    for repr_mark in ("[", "]", "{", "}", "None", "True", "False", "'"):
        assert repr_mark not in shown
