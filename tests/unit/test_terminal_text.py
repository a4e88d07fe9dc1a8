"""Data printed on a terminal: control and bidi characters become escapes, the rest is kept."""

from cli.text import terminal_safe
from tests.hostile import PAYLOADS


def test_controls_and_bidi_are_escaped_and_printable_text_is_kept() -> None:
    assert terminal_safe("Amélie (2001) — 東京物語 <b>") == "Amélie (2001) — 東京物語 <b>"
    assert terminal_safe("a\x1b[31mb") == "a\\x1b[31mb"
    assert terminal_safe("\u202eevil") == "\\u202eevil"
    assert terminal_safe("x\r\ny\x00") == "x\\x0d\\x0ay\\x00"
    for payload in PAYLOADS:
        shown = terminal_safe(payload)
        assert shown.isprintable(), shown[:80]
