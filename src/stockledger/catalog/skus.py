"""The text rules of a SKU: what may be stored, and the key two SKUs are compared by.

A SKU is stored as the merchant typed it after Unicode NFKC normalisation and trimming
(full-width `Ｂ２` becomes `B2`), and refused if it holds a character nobody can see
(zero-width spaces, joiners, control and format characters): such a SKU looks like another
one on screen and in a spreadsheet but is a different product.

Two SKUs are the same product when their keys are equal: the NFKC form, case-folded
(`b2`, `B2` and `Ｂ２` share the key `b2`). The key is stored on the product with a unique
constraint per company, so the database itself refuses a look-alike.

Pure functions, no database: the catalog service, the pages, the API and spreadsheet imports
all call these.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from stockledger.core.errors import InvalidInput

SKU_MAX = 100
SKU_KEY_MAX = 400  # case folding may lengthen a SKU ("ß" -> "ss")

# Categories of characters that render as nothing (or as a line break) in a SKU: control,
# format (zero-width space and joiners, BOM, bidi marks), surrogates, private use,
# unassigned, line and paragraph separators.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
# Letters and marks that also render as nothing: Hangul fillers, braille blank, the
# combining grapheme joiner, variation selectors.
_INVISIBLE_CHARACTERS = frozenset({0x034F, 0x115F, 0x1160, 0x2800, 0x3164, 0xFFA0})


def _is_invisible(ch: str) -> bool:
    code = ord(ch)
    if code in _INVISIBLE_CHARACTERS:
        return True
    if 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF:  # variation selectors
        return True
    category = unicodedata.category(ch)
    if category in _INVISIBLE_CATEGORIES:
        return True
    # Spaces other than the plain space (NFKC already turned most of them into it).
    return category == "Zs" and ch != " "


def _describe(ch: str) -> str:
    name = unicodedata.name(ch, "")
    return f"U+{ord(ch):04X}{' ' + name if name else ''}"


def clean_sku(value: Any, *, field: str = "sku") -> str:
    """The SKU to store: NFKC-normalised and trimmed. Raises InvalidInput naming `field` for
    a non-string, an empty or too long SKU, or one holding an invisible character."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("SKU must be a non-empty string", field=field)
    sku = unicodedata.normalize("NFKC", value).strip()
    for position, ch in enumerate(sku, start=1):
        if _is_invisible(ch):
            raise InvalidInput(
                f"SKU contains an invisible character ({_describe(ch)}) at position "
                f"{position}; type the SKU again without it",
                field=field,
            )
    if not sku:
        raise InvalidInput("SKU must be a non-empty string", field=field)
    if len(sku) > SKU_MAX:
        raise InvalidInput(f"SKU is longer than {SKU_MAX} characters", field=field)
    return sku


def sku_key(sku: str) -> str:
    """The key SKUs are compared by: NFKC, trimmed, case-folded (then NFKC again, as case
    folding can leave a string that is not in that form). Does not validate: call
    `clean_sku` first for input."""
    text = unicodedata.normalize("NFKC", sku).strip()
    return unicodedata.normalize("NFKC", text.casefold())
