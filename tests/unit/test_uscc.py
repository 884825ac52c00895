"""USCC check character per GB 32100-2015 (domain rules §2)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vendorgov.i18n import using_locale
from vendorgov.vendors.rules import (
    USCC_ALPHABET,
    normalise_uscc,
    uscc_check_character,
    uscc_problem,
)

# Codes published by the companies themselves (licences, annual reports), and the
# standard's own example.
REAL_CODES = {
    "Huawei Technologies Co., Ltd.": "914403001922038216",
    "Shenzhen Tencent Computer Systems Co., Ltd.": "9144030071526726XG",
    "Alibaba (China) Co., Ltd.": "91330100716105852F",
    "Xiaomi Communications Co., Ltd.": "91110108551385082Q",
    "GB 32100-2015 example": "91350100M000100Y43",
}

first17 = st.text(alphabet=USCC_ALPHABET, min_size=17, max_size=17)


@pytest.mark.parametrize("company,code", REAL_CODES.items())
def test_real_world_codes_are_valid(company, code):
    assert uscc_problem(code) is None, company


@pytest.mark.parametrize("code", REAL_CODES.values())
def test_every_single_character_change_is_caught(code):
    """Changing any one character to any other allowed one breaks the check (the weights are
    all non-zero mod 31, a prime, so single substitutions are always detected)."""
    for position in range(18):
        for replacement in USCC_ALPHABET:
            if replacement == code[position]:
                continue
            corrupted = code[:position] + replacement + code[position + 1 :]
            assert uscc_problem(corrupted) is not None, corrupted


@pytest.mark.parametrize(
    "code,fragment",
    [
        ("91440300192203821", "18 characters, this one has 17"),
        ("9144030019220382160", "18 characters, this one has 19"),
        ("91440300192203821I", "code: I cannot appear"),  # I, O, S, V, Z are not used
        ("9144030O1922038216", "code: O cannot appear"),
        ("914403001922038217", "check character should be 6, not 7"),
        ("", "this one has 0"),
    ],
)
def test_invalid_codes_say_why(code, fragment):
    with using_locale("en"):
        problem = uscc_problem(code)
    assert problem is not None and fragment in problem


def test_the_reason_is_in_the_users_language():
    with using_locale("zh_CN"):
        assert uscc_problem("914403001922038217") == "统一社会信用代码校验位应为 6，不是 7，请核对"
        assert "当前为 17 位" in uscc_problem("91440300192203821")
    with using_locale("en"):
        assert uscc_problem("914403001922038217").startswith("Unified social credit code:")


def test_normalise_strips_spaces_and_uppercases():
    assert normalise_uscc(" 9144 0300 7152 6726xg ") == "9144030071526726XG"


@given(first17)
def test_computed_check_character_always_validates(prefix):
    assert uscc_problem(prefix + uscc_check_character(prefix)) is None


@given(first17, st.integers(0, 16), st.sampled_from(USCC_ALPHABET))
def test_single_substitution_in_body_is_detected(prefix, position, replacement):
    code = prefix + uscc_check_character(prefix)
    corrupted = code[:position] + replacement + code[position + 1 :]
    assert (uscc_problem(corrupted) is None) == (corrupted == code)


@given(first17, st.integers(0, 15))
def test_adjacent_transposition_of_different_characters_is_detected(prefix, position):
    code = prefix + uscc_check_character(prefix)
    swapped = code[:position] + code[position + 1] + code[position] + code[position + 2 :]
    if swapped[:17] != code[:17]:
        # weights differ at adjacent positions, so the sum changes unless the chars are equal
        assert uscc_problem(swapped) is not None
