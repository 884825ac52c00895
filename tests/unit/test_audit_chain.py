"""The audit trail's hash chain, without a database."""

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from vendorgov.audit.chain import GENESIS, canonical_json, entry_hash, find_first_break

T0 = datetime(2026, 11, 1, 1, 2, 3, 456789, tzinfo=UTC)


def build_chain(changes):
    entries, prev = [], GENESIS
    for i, (action, after) in enumerate(changes, start=1):
        values = dict(
            at=T0 + timedelta(seconds=i),
            actor_id=1,
            actor="wang.min",
            entity="vendor",
            entity_id="7",
            action=action,
            before=None,
            after=canonical_json(after),
            prev_hash=prev,
        )
        entry = {"id": i, **values, "hash": entry_hash(**values)}
        entries.append(entry)
        prev = entry["hash"]
    return entries


CHANGES = [("create", {"name": "洁康"}), ("update", {"name": "洁康保洁"}), ("suspend", {"x": 1})]


def test_intact_chain_verifies():
    broken, last, count = find_first_break(build_chain(CHANGES))
    assert broken is None and count == 3 and last != GENESIS


def test_altered_content_is_found_at_that_entry():
    chain = build_chain(CHANGES)
    chain[1]["after"] = canonical_json({"name": "someone else"})
    broken, _, _ = find_first_break(chain)
    assert broken.entry_id == 2 and "altered" in broken.reason


def test_removed_entry_breaks_the_next_link():
    chain = build_chain(CHANGES)
    del chain[1]
    broken, _, _ = find_first_break(chain)
    assert broken.entry_id == 3 and "removed" in broken.reason


def test_rehashing_an_altered_entry_still_breaks_the_following_link():
    chain = build_chain(CHANGES)
    entry = chain[0]
    entry["actor"] = "intruder"
    entry["hash"] = entry_hash(**{k: entry[k] for k in entry if k not in ("id", "hash")})
    broken, _, _ = find_first_break(chain)
    assert broken.entry_id == 2


def test_canonical_json_is_order_independent_and_keeps_chinese():
    assert canonical_json({"b": 1, "a": "保洁"}) == canonical_json({"a": "保洁", "b": 1})
    assert "保洁" in canonical_json({"a": "保洁"})


@given(
    st.lists(
        st.dictionaries(st.text(max_size=5), st.integers(), max_size=3), min_size=1, max_size=8
    ),
    st.data(),
)
def test_any_single_alteration_is_detected(afters, data):
    chain = build_chain([("update", a) for a in afters])
    victim = data.draw(st.integers(0, len(chain) - 1))
    chain[victim]["action"] = chain[victim]["action"] + "!"
    broken, _, _ = find_first_break(chain)
    assert broken is not None and broken.entry_id == victim + 1
