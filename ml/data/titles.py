"""Title rules of MovieLens: how a stored title reads to people, and its normalised key.

MovieLens moves articles behind a comma (``"Matrix, The"``) and adds alternate titles in
parentheses; every module that shows or matches a title uses these rules.
"""

from __future__ import annotations

import re
import unicodedata

#: Articles MovieLens moves behind a comma ("Matrix, The"), in the languages it uses them.
ARTICLES = (
    "the", "a", "an", "les", "le", "la", "l'", "il", "lo", "el", "los", "las",
    "die", "der", "das", "den", "det", "de", "een", "un", "une", "o", "os",
)  # fmt: skip


def normalise(text: str) -> str:
    """Lower case, accents and punctuation removed, '&' as 'and', one space between words."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = text.replace("&", " and ")
    text = re.sub(r"[^\w\s]", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def article_first(name: str) -> str:
    """``"Matrix, The"`` → ``"The Matrix"``; ``"Amelie"`` unchanged."""
    head, sep, tail = name.rpartition(", ")
    if sep and tail.lower() in ARTICLES:
        glue = "" if tail.endswith("'") else " "
        return f"{tail}{glue}{head}"
    return name


def display_title(title: str) -> str:
    """The main title as people say it: ``"Matrix, The"`` → ``"The Matrix"``; alternates dropped."""
    title = title or ""
    main = re.sub(r"\s*\([^()]*\)", "", title).strip() or title
    return article_first(main)
