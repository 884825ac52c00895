"""The audit trail's hash chain, without a database."""

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from vendorgov.audit.chain import (
    GENESIS,
    TRAIL_LABEL,
    ChainCheck,
    canonical_json,
    derive_key,
    entry_hash,
)

T0 = datetime(2026, 11, 1, 1, 2, 3, 456789, tzinfo=UTC)
KEY = derive_key("an installation secret", TRAIL_LABEL)


def find_first_break(entries, key=KEY):
    check = ChainCheck(key)
    broken = check.feed(entries) or check.finish()
    return broken, check.prev_hash, check.checked


def build_chain(changes, legacy=0):
    """Entries for the changes, the first `legacy` of them unkeyed (written before the key)."""
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
        keyed = i > legacy
        hash_ = entry_hash(**values, key=KEY if keyed else None)
        entry = {"id": i, **values, "hash": hash_, "keyed": keyed}
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
    entry["hash"] = entry_hash(**_fields(entry), key=KEY)
    broken, _, _ = find_first_break(chain)
    assert broken.entry_id == 2


def _fields(entry):
    return {k: entry[k] for k in entry if k not in ("id", "hash", "keyed")}


def rechain(chain, start, key):
    """What someone who can write the database does after editing entry `start`: recompute
    every hash from there on, with the key they have (None: plain SHA-256, unkeyed)."""
    prev = chain[start - 1]["hash"] if start else GENESIS
    for entry in chain[start:]:
        entry["prev_hash"] = prev
        entry["keyed"] = key is not None
        entry["hash"] = prev = entry_hash(**_fields(entry), key=key)


def test_editing_and_rechaining_with_plain_sha256_is_found():
    chain = build_chain(CHANGES)
    chain[1]["after"] = canonical_json({"name": "someone else"})
    rechain(chain, 1, None)
    broken, _, _ = find_first_break(chain)
    assert broken.entry_id == 2 and "re-chained without the key" in broken.reason


def test_editing_and_rechaining_with_another_key_is_found():
    chain = build_chain(CHANGES)
    chain[1]["after"] = canonical_json({"name": "someone else"})
    rechain(chain, 1, derive_key("a guess", TRAIL_LABEL))
    broken, _, _ = find_first_break(chain)
    assert broken.entry_id == 2 and "without the key" in broken.reason


def test_entries_from_before_the_key_verify_and_stay_protected():
    chain = build_chain(CHANGES, legacy=2)
    assert find_first_break(chain)[0] is None
    chain[0]["actor"] = "intruder"
    rechain(chain, 0, None)  # all unkeyed now, the keyed newest entry included
    broken, _, _ = find_first_break(chain)
    assert broken.entry_id == 3 and "unkeyed" in broken.reason


def test_a_checkpointed_entry_must_remain():
    chain = build_chain(CHANGES)
    check = ChainCheck(KEY, {3: chain[2]["hash"]})
    assert check.feed(chain[:2]) is None
    assert check.finish().entry_id == 3 and "truncated" in check.finish().reason
    check = ChainCheck(KEY, {2: "0" * 64})
    assert check.feed(chain).entry_id == 2


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
