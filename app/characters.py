"""Which characters MAPS keeps in text: one rule for what people type (app/services/inputs.py)
and what questionnaire definitions hold (app/questionnaires/format.py).

Refused everywhere: Unicode's controls ("Cc": NUL, bell, escape, the C1 block), its format
characters ("Cf": right-to-left overrides, zero-width spaces and joiners, soft hyphens), which
hide or reorder text, so that one name can look like another; the line and paragraph
separators; lone surrogates; and the 66 non-characters (U+FDD0 to U+FDEF and the last two code
points of every plane, U+FFFE and U+FFFF among them), which Unicode keeps for programs' own use
and which a spreadsheet (XML) cannot hold at all. Tab, newline and carriage return are allowed
only in longer text. Everything else, accented and non-Latin letters included, is kept.
"""

import unicodedata

HIDDEN = ("Cc", "Cf", "Zl", "Zp")  # controls, formats, line and paragraph separators
MULTILINE_WHITESPACE = frozenset("\t\n\r")


def is_noncharacter(character: str) -> bool:
    code = ord(character)
    return 0xFDD0 <= code <= 0xFDEF or code & 0xFFFE == 0xFFFE


def is_refused(character: str, *, multiline: bool = False) -> bool:
    if multiline and character in MULTILINE_WHITESPACE:
        return False
    category = unicodedata.category(character)
    return category in HIDDEN or category == "Cs" or is_noncharacter(character)


def first_refused(text: str, *, multiline: bool = False) -> str | None:
    """The first character of the text that MAPS does not keep, or None."""
    if text.isprintable():  # the usual case, in C: no Cc, Cf, Z* but space, Cs or Cn
        return None
    return next((c for c in text if is_refused(c, multiline=multiline)), None)


def described(character: str) -> str:
    """The character as a message names it: "a hidden control character (U+202E)"."""
    kind = ("a code point that is not a character"
            if unicodedata.category(character) == "Cs" or is_noncharacter(character)
            else "a hidden control character")
    return f"{kind} (U+{ord(character):04X})"


def without_refused(text: str) -> str:
    """The text with every refused character taken out (tab and line breaks kept)."""
    if text.isprintable():
        return text
    return "".join(c for c in text if not is_refused(c, multiline=True))
