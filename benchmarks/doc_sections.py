"""What the benchmarks share for writing their tables into docs/: one section replaced."""

from __future__ import annotations


def replace_section(text: str, heading: str, lines: list[str]) -> str:
    """``text`` with the section under ``heading`` (up to the next ``## ``) set to ``lines``;
    the section is appended when ``text`` has no such heading."""
    before, found, rest = text.partition(heading)
    after = ""
    if found:
        tail = rest.split("\n## ", 1)
        after = "\n## " + tail[1] if len(tail) > 1 else ""
    return before.rstrip("\n") + "\n\n" + "\n".join(lines) + "\n" + after
