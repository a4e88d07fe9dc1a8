"""Is this text English? A small, deterministic function-word test, no model needed.

Reviews are long enough that the share of very common function words separates English from
the other languages reviews arrive in (Spanish, French, German, Italian, Portuguese, Dutch)
and from non-Latin scripts. Short texts (under ``MIN_WORDS`` words) are given the benefit
of the doubt, since a three-word sentence has too few function words to judge.
"""

from __future__ import annotations

import re

MIN_WORDS = 6
_WORD = re.compile(r"[^\W\d_]+")

_STOP = {
    "en": "the a an and or but of to in on at for with is are was were be been it this that "
    "these those he she they we you i his her its their not no as by from have has had do "
    "does did so than then very just about who what which there here all if my me film movie",
    "es": "el la los las un una y o pero de del en con por para es son fue era que no se su "
    "sus lo al como muy más este esta película porque también",
    "fr": "le la les un une et ou mais de des du en dans avec pour par est sont était que qui "
    "ne pas se sa son ses ce cette au aux très plus il elle nous vous film",
    "de": "der die das ein eine und aber von zu im in mit für sind war dass nicht sich "
    "sein ihr ich es auf den dem des auch sehr wie "
    "oder ist",  # codespell:ignore
    "it": "il lo la i gli le un una e o ma di del della in con per è sono era che non si suo "
    "sua questo questa molto più anche come",
    "pt": "o a os as um uma e ou mas de do da em no na com por para é são foi que não se seu "
    "sua este esta muito mais também como",
    "nl": "de het een en of maar van in op met voor is zijn was dat niet zich zijn haar ik "
    "ook heel deze dit",
}
STOPWORDS = {lang: frozenset(words.split()) for lang, words in _STOP.items()}


def language_shares(text: str) -> dict[str, float]:
    """Share of words that are function words of each language, plus ``non_latin``."""
    words = [w.lower() for w in _WORD.findall(text)]
    letters = [ch for w in words for ch in w]
    shares = {"words": float(len(words))}
    shares["non_latin"] = sum(ord(ch) > 0x24F for ch in letters) / len(letters) if letters else 0.0
    for lang, stop in STOPWORDS.items():
        shares[lang] = sum(w in stop for w in words) / len(words) if words else 0.0
    return shares


def english_verdict(text: str) -> str | None:
    """None when ``text`` reads as English (or is too short to tell), else a reason.

    Reasons: ``no_letters`` (no word at all), ``not_english``.
    """
    shares = language_shares(text)
    if shares["words"] == 0:
        return "no_letters"
    if shares["non_latin"] > 0.5:
        return "not_english"
    if shares["words"] < MIN_WORDS:
        return None
    other = max(shares[lang] for lang in STOPWORDS if lang != "en")
    if shares["en"] < 0.08 and other >= 0.12:
        return "not_english"
    if other > 2 * shares["en"] and other >= 0.2:
        return "not_english"
    return None
