"""The interface catalogues are complete and compiled: every marked string translated in German and French."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "tracker" / "translations"
LANGUAGES = ("de", "fr")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None, "lazy_ngettext": (1, 2)}


def _not_hidden(dirpath: str) -> bool:
    """Babel skips folders starting with "_" by default; templates/_macros and _partials hold interface text too."""
    return not Path(dirpath).name.startswith(".")


def source_messages() -> set[str]:
    """Every msgid marked in the code and templates today (what `make translations` would extract)."""
    method_map, options_map = parse_mapping_cfg(io.StringIO((ROOT / "babel.cfg").read_text()))
    found = set()
    for directory in ("tracker", "templates"):
        prefix = directory + "/"
        mapping = [
            (pattern.removeprefix(prefix), method) for pattern, method in method_map if pattern.startswith(prefix)
        ]
        options = {pattern.removeprefix(prefix): value for pattern, value in options_map.items()}
        for _filename, _lineno, message, _comments, _context in extract_from_dir(
            ROOT / directory, mapping, options, keywords=KEYWORDS, directory_filter=_not_hidden
        ):
            found.add(message[0] if isinstance(message, tuple) else message)
    return found


def catalogue(language: str):
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_marked_string_is_translated_and_none_is_fuzzy(language):
    messages = catalogue(language)
    missing = sorted(source_messages() - {m.id if isinstance(m.id, str) else m.id[0] for m in messages if m.id})
    assert missing == [], f"not in the {language} catalogue: run `make translations` and translate them"
    untranslated = [
        m.id for m in messages if m.id and (m.fuzzy or not (all(m.string) if isinstance(m.string, tuple) else m.string))
    ]
    assert untranslated == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_every_placeholder(language):
    assert [(m.id, errors) for m, errors in catalogue(language).check()] == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalogue_is_up_to_date(language):
    compiled = io.BytesIO()
    write_mo(compiled, catalogue(language))
    assert (TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo").read_bytes() == compiled.getvalue(), (
        "run `make translations`"
    )


def test_every_template_with_interface_text_is_read_by_the_extraction():
    """Babel's template extractor skips a template it cannot parse (a tag of an extension it was not told of) without
    a word: each template that marks strings must give some."""
    method_map, options_map = parse_mapping_cfg(io.StringIO((ROOT / "babel.cfg").read_text()))
    mapping = [(p.removeprefix("templates/"), m) for p, m in method_map if p.startswith("templates/")]
    options = {p.removeprefix("templates/"): v for p, v in options_map.items()}
    extracted = {
        filename
        for filename, *_rest in extract_from_dir(
            ROOT / "templates", mapping, options, keywords=KEYWORDS, directory_filter=_not_hidden
        )
    }
    marking = {
        str(path.relative_to(ROOT / "templates"))
        for path in (ROOT / "templates").rglob("*.html")
        if any(mark in path.read_text() for mark in ('_("', "_('", "{% trans", "ngettext("))
    }
    assert marking - extracted == set()
