"""Password rules: length, the common-password list, repetition, the username."""

from hypothesis import given
from hypothesis import strategies as st

from vendorgov.accounts.rules import (
    MAX_PASSWORD_LENGTH,
    acceptable_for_login,
    common_passwords,
    password_errors,
)
from vendorgov.demo import ACCOUNTS, DEMO_PASSWORD


def rules(password: str, username: str = "zhang.wei") -> list[str]:
    return [e.rule for e in password_errors(password, username)]


def test_the_demo_and_test_passwords_pass_for_every_demo_account():
    for username, *_ in ACCOUNTS:
        assert rules(DEMO_PASSWORD, username) == []
    for username in ("t.admin", "t.finance", "t.vendor_b"):
        assert rules("correct-horse-battery", username) == []


def test_weak_passwords_are_refused_naming_the_rule():
    assert rules("aaaaaaaaaa") == ["common_password"]
    assert rules("1234567890") == ["common_password"]
    assert rules("PassWord123") == ["common_password"]  # the list is matched ignoring case
    assert rules("abababababab") == ["too_repetitive"]
    assert rules("zhang.wei-2026") == ["contains_username"]
    assert rules("ZHANG.WEI-2026!") == ["contains_username"]
    assert rules("short") == ["min_length"]
    assert rules("x" * (MAX_PASSWORD_LENGTH + 1)) == ["max_length"]
    assert rules("pbkdf2_sha256$1000$salt$hash") == ["looks_hashed"]
    (error,) = password_errors("1234567890", "zhang.wei")
    assert error.field == "password" and "most common passwords" in error.message


def test_the_packaged_list_is_loaded():
    listed = common_passwords()
    assert 1000 < len(listed) < 5000
    assert "1234567890" in listed and "qwertyuiop" in listed
    assert all(len(p) >= 10 and p == p.lower() for p in listed)


@given(st.text(min_size=1, max_size=20), st.text(max_size=10), st.text(max_size=10))
def test_a_password_containing_the_username_in_any_case_is_refused(name, before, after):
    if not name.strip():
        return
    password = before + name.strip().swapcase() + after
    if name.strip().swapcase().lower() != name.strip().lower():
        return  # a character whose case change is not reversible (e.g. 'ß')
    assert "contains_username" in rules(password, name) or len(password) < 10


@given(st.text(max_size=300))
def test_length_limits_always_hold(password):
    found = rules(password)
    assert ("min_length" in found) == (len(password) < 10)
    assert ("max_length" in found) == (len(password) > MAX_PASSWORD_LENGTH)


def test_login_attempts_that_cannot_match_are_recognised_without_hashing():
    assert acceptable_for_login("t.admin", "correct-horse-battery")
    assert not acceptable_for_login("t.admin", "x" * 129)
    assert not acceptable_for_login("t.ad\x00min", "correct-horse-battery")
    assert not acceptable_for_login("", "correct-horse-battery")
    assert not acceptable_for_login("u" * 101, "correct-horse-battery")
