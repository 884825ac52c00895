"""Pure rules of the location tree: import rows and materialised paths."""

from hypothesis import given
from hypothesis import strategies as st

from vendorgov.locations import rules


def test_each_row_defines_its_deepest_place_parents_first():
    rows, errors = rules.import_rows(
        [
            {"campus": "本院区", "building": "门诊楼", "floor": "3楼", "code": "MZ3"},
            {"campus": "本院区", "code": "BY", "pinyin": "BYQ"},
            {"campus": "本院区", "building": "门诊楼", "code": "MZ"},
        ]
    )
    assert not errors.errors
    assert [(r.code, r.kind, r.row) for r in rows] == [
        ("BY", "campus", 3),
        ("MZ", "building", 4),
        ("MZ3", "floor", 2),
    ]
    assert rows[0].pinyin == "byq"


def test_bad_rows_name_row_and_column():
    _, errors = rules.import_rows(
        [
            {"campus": "", "code": "A"},
            {"campus": "院区", "floor": "1楼", "code": "B"},
            {"campus": "院区", "code": "B"},
            {"campus": "院区", "code": "C"},
            {"campus": "x" * 101, "code": "D"},
            {"campus": "院区2", "code": "E", "pinyin": "门"},
        ]
    )
    assert [(e.field, e.rule) for e in errors.errors] == [
        ("rows.2.campus", "required"),
        ("rows.3.building", "required"),
        ("rows.5.campus", "unique"),
        ("rows.6.name", "max_length"),
        ("rows.7.pinyin", "format"),
    ]


def _tree_path(branches: list[int]) -> str:
    """A path of a real tree: each place's id is made from the branches taken to reach it,
    so one id always has the same ancestors."""
    return "/" + "".join(f"1{''.join(map(str, branches[: n + 1]))}/" for n in range(len(branches)))


paths = st.lists(st.integers(1, 3), min_size=1, max_size=4).map(_tree_path)


@given(st.lists(paths, min_size=1, max_size=6))
def test_the_common_place_is_on_every_path_and_deepest(many):
    common = rules.common_ancestor(many)
    if common is None:
        assert len({rules.ids_in(p)[0] for p in many}) > 1
        return
    depth = None
    for path in many:
        ids = rules.ids_in(path)
        assert common in ids
        depth = ids.index(common) if depth is None else depth
        assert ids.index(common) == depth
    # One level deeper is not shared by all.
    below = {tuple(rules.ids_in(p)[: depth + 2]) for p in many}
    assert len(below) > 1 or any(len(rules.ids_in(p)) == depth + 1 for p in many)


def test_child_paths():
    assert rules.child_path("/", 3) == "/3/"
    assert rules.child_path("/3/17/", 52) == "/3/17/52/"
    assert rules.ids_in("/3/17/52/") == [3, 17, 52]
