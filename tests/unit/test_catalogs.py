"""The catalogs are complete and current: CI fails when `make i18n` was not run after a string
was added, when a zh_CN translation is missing or fuzzy, or when a .mo is older than its .po."""

from gettext import GNUTranslations
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from vendorgov.i18n import LOCALE_DIR

ROOT = Path(__file__).resolve().parents[2]


def _read(path: Path, locale: str | None = None):
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def _key(message) -> tuple:
    return (message.context, message.id if isinstance(message.id, str) else message.id[0])


def test_messages_pot_holds_every_marked_string_of_the_sources():
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = {
        (context, message if isinstance(message, str) else message[0])
        for _, _, message, _, context in extract_from_dir(ROOT / "src", method_map, options_map)
    }
    pot = {_key(m) for m in _read(LOCALE_DIR / "messages.pot") if m.id}
    assert not found - pot, f"run `make i18n`: not in messages.pot: {sorted(found - pot)[:10]}"
    assert not pot - found, f"run `make i18n`: no longer in the sources: {sorted(pot - found)[:10]}"


def test_every_message_has_a_chinese_translation_that_is_not_fuzzy():
    pot = {_key(m) for m in _read(LOCALE_DIR / "messages.pot") if m.id}
    catalog = _read(LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / "messages.po", "zh_CN")
    translated = {
        _key(m)
        for m in catalog
        if m.id and not m.fuzzy and (all(m.string) if isinstance(m.string, tuple) else m.string)
    }
    missing = sorted(pot - translated)
    assert not missing, f"{len(missing)} msgids lack a zh_CN translation: {missing[:10]}"


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_the_compiled_catalog_matches_its_source(locale):
    folder = LOCALE_DIR / locale / "LC_MESSAGES"
    catalog = _read(folder / "messages.po", locale)
    with (folder / "messages.mo").open("rb") as handle:
        compiled = GNUTranslations(handle)
    stale = [
        m.id
        for m in catalog
        if m.id
        and isinstance(m.id, str)
        and m.string
        and not m.fuzzy
        and (compiled.pgettext(m.context, m.id) if m.context else compiled.gettext(m.id))
        != m.string
    ]
    assert not stale, f"run `make i18n` (the .mo is older than the .po): {stale[:10]}"
