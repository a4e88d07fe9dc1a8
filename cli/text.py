"""Data shown on a terminal is shown inert.

A title, a review or an error message that quotes one can hold control characters (an ANSI
escape recolours or clears the terminal, a carriage return overwrites the line) or bidi
controls (a right-to-left override reverses what follows it on the screen). They are kept
byte-exact in the tables and in JSON output; on a terminal each is written as its escape.
"""

from __future__ import annotations

import unicodedata

#: Unicode categories written as escapes: controls (C0, C1, DEL) and format characters
#: (bidi embeddings, overrides and isolates, zero-width characters, the BOM).
_ESCAPED = {"Cc", "Cf"}


def terminal_safe(text: object) -> str:
    """``text`` with every control and format character written as ``\\xNN``/``\\uNNNN``."""
    value = str(text)
    if value.isprintable():
        return value
    return "".join(_escape(ch) if unicodedata.category(ch) in _ESCAPED else ch for ch in value)


def _escape(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
