"""The fast path of a clean ml-latest ratings.csv reads exactly what the line-by-line path
reads: the same accepted rows, the same quarantine (line, reason, raw text), the same notes."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from ml.data import formats
from ml.data.files import Release
from ml.data.readers import load_movielens

HEADER = "userId,movieId,rating,timestamp"
MOVIES = "movieId,title,genres\n10,A (1999),Drama\n20,B (2001),Comedy\n30,C,(no genres listed)\n"
BIG = 2**53 + 1
# Rating times are held to the release's period (1995 on): the cases use times from 2000.

CASES = {
    # Sorted by user then movie, as the official files are: every reason, repeats adjacent,
    # and a repeat whose first copy was itself bad (the later good copy is kept).
    "sorted": [
        "1,10,4.0,964982100",
        "1,10,4.0,964982100",
        "1,20,7.0,964982101",
        "1,20,3.5,964982101",
        "1,30,3.25,964982102",
        "2,10,nan,964982103",
        "2,20,0.5,-5",
        "2,30,5,964982104",
        "2,99,4.0,964982105",
        f"3,10,4.0,{BIG}",
        f"3,20,4.0,{2**53 - 1}",
        "3,30,4.0,964982106",
        "3,30,4.0,964982106",
    ],
    # Out of order: the repeat is far from its first copy.
    "unsorted": ["2,10,4.0,1", "1,10,4.0,1", "1,20,4.0,2", "2,10,4.0,1", "1,10,3.0,1"],
    # Sorted on user and movie, not on the timestamp: a repeated pair at two times is no
    # duplicate, the same triple is.
    "same_pair": ["1,10,4.0,5", "1,10,4.0,3", "1,10,4.0,5", "1,20,4.0,1"],
    "no_final_newline": ["1,10,4.0,1", "1,20,4.5,2"],
}
#: polars reads numbers padded with spaces, as the line path does after stripping fields;
#: whichever path takes them, the result must be the same.
EITHER = {
    "spaces": [
        "1, 10,4.0,964982701",
        "1,20 , 4.0,964982702",
        "1, 30,3.25,964982703",
        "1 ,20,4.0,964982702",
    ]
}
# Each of these sends the file down the line-by-line path, which must still be what we get.
SLOW = {
    "empty_field": ["1,10,,1", "1,20,4.0,2"],
    "short_line": ["1,10,4.0", "1,20,4.0,2"],
    "long_line": ["1,10,4.0,1,9", "1,20,4.0,2"],
    "blank_line": ["1,10,4.0,1", "", "1,20,4.0,2"],
    "float_timestamp": ["1,10,4.0,881250949.0", "1,20,4.0,2"],
    "text": ["1,10,good,1", "x,20,4.0,2"],
    "quoted": ['1,"10",4.0,1', "1,20,4.0,2"],
}


def _release(root: Path, rows: list[str], *, newline: str = "\n", final: bool = True) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    body = newline.join([HEADER, *rows]) + (newline if final else "")
    (root / "ratings.csv").write_bytes(body.encode())
    (root / "movies.csv").write_text(MOVIES)
    return root


def _both(folder: Path, monkeypatch) -> tuple:
    fast = load_movielens(folder)
    with monkeypatch.context() as patch:
        patch.setattr(formats, "_fast_latest_ratings", lambda release, name: None)
        slow = load_movielens(folder)
    return fast, slow


def _same(fast, slow) -> None:
    assert fast.ratings.equals(slow.ratings)
    assert fast.movies.equals(slow.movies)
    assert fast.quarantine.equals(slow.quarantine)
    assert fast.rows_read == slow.rows_read
    assert fast.encoding_notes == slow.encoding_notes


@pytest.mark.parametrize("case", sorted(CASES))
def test_fast_path_reads_what_the_line_path_reads(tmp_path, monkeypatch, case) -> None:
    folder = _release(tmp_path, CASES[case], final=case != "no_final_newline")
    assert formats._fast_latest_ratings(Release(folder), "ratings.csv") is not None
    fast, slow = _both(folder, monkeypatch)
    _same(fast, slow)


def test_every_reason_on_the_fast_path_with_its_raw_line(tmp_path, monkeypatch) -> None:
    folder = _release(tmp_path, CASES["sorted"])
    fast, _ = _both(folder, monkeypatch)
    got = fast.quarantine.select("line", "reason", "raw").rows()
    assert got == [
        (3, "duplicate", "1,10,4.0,964982100"),
        (4, "rating_out_of_range", "1,20,7.0,964982101"),
        (6, "rating_off_scale", "1,30,3.25,964982102"),
        (7, "rating_out_of_range", "2,10,nan,964982103"),
        (8, "timestamp_implausible", "2,20,0.5,-5"),
        (10, "unknown_movie", "2,99,4.0,964982105"),
        (11, "unparseable", f"3,10,4.0,{BIG}"),
        (12, "timestamp_implausible", f"3,20,4.0,{2**53 - 1}"),
        (14, "duplicate", "3,30,4.0,964982106"),
    ]
    assert set(fast.quarantine["source_file"]) == {str(folder / "ratings.csv")}
    assert fast.ratings.height + 9 == fast.rows_read["ratings"] == 13


@pytest.mark.parametrize("case", sorted(SLOW))
def test_unusual_files_take_the_line_path(tmp_path, monkeypatch, case) -> None:
    folder = _release(tmp_path, SLOW[case])
    assert formats._fast_latest_ratings(Release(folder), "ratings.csv") is None
    _same(*_both(folder, monkeypatch))


def test_padded_numbers_read_the_same_on_either_path(tmp_path, monkeypatch) -> None:
    fast, slow = _both(_release(tmp_path, EITHER["spaces"]), monkeypatch)
    _same(fast, slow)
    assert fast.quarantine.select("line", "reason", "raw").rows() == [
        (4, "rating_off_scale", "1, 30,3.25,964982703"),
        (5, "duplicate", "1 ,20,4.0,964982702"),
    ]


def test_crlf_and_zip_releases(tmp_path, monkeypatch) -> None:
    import zipfile

    crlf = _release(tmp_path / "crlf", CASES["sorted"], newline="\r\n")
    assert formats._fast_latest_ratings(Release(crlf), "ratings.csv") is None
    fast, slow = _both(crlf, monkeypatch)
    _same(fast, slow)
    assert fast.encoding_notes == {str(crlf / "ratings.csv"): ["CRLF line ends"]}
    folder = _release(tmp_path / "ml-latest-small", CASES["sorted"])
    archive = tmp_path / "ml-latest-small.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for name in ("ratings.csv", "movies.csv"):
            out.write(folder / name, f"ml-latest-small/{name}")
    fast, slow = _both(archive, monkeypatch)
    _same(fast, slow)
    assert fast.quarantine["source_file"][0] == f"{archive}:ml-latest-small/ratings.csv"
    assert fast.ratings.dtypes == [pl.Int64, pl.Int64, pl.Float64, pl.Int64]


MOVIE_FILES = {
    "quoted": 'movieId,title,genres\n1,"Matrix, The (1999)",Action|Sci-Fi\n2,"Say ""Hi"" (2001)",'
    "Comedy\n3,Amélie (2001),Romance\n",
    "crlf": "movieId,title,genres\r\n1,A (1999),Drama\r\n2,B (2000),(no genres listed)\r\n",
    "no_final_newline": "movieId,title,genres\n1,A (1999),Drama\n2,B,Comedy",
    "line_break_in_title": 'movieId,title,genres\n1,"Two\nLines (1999)",Drama\n2,B (2000),Comedy\n',
    "blank_and_short": "movieId,title,genres\n1,A (1999),Drama\n\n2,B (2000)\n3,C (2001),War\n",
    "stray_quote": 'movieId,title,genres\n1,"A (1999),Drama\n2,B (2000),Comedy\n',
    "text_after_quote": 'movieId,title,genres\n1,"A"x (1999),Drama\n2,B (2000),Comedy\n',
}


@pytest.mark.parametrize("case", sorted(MOVIE_FILES))
def test_movies_read_in_one_call_or_record_by_record_alike(tmp_path, monkeypatch, case) -> None:
    from ml.data import files

    (tmp_path / "movies.csv").write_bytes(MOVIE_FILES[case].encode())
    fields = ["item_id", "title_raw", "g"]
    fast = Release(tmp_path).read_records("movies.csv", fields)
    with monkeypatch.context() as patch:
        patch.setattr(files, "_one_line_records", lambda lines, fields, schema: None)
        slow = Release(tmp_path).read_records("movies.csv", fields)
    assert fast.equals(slow)
    assert fast.height >= 2
    lines = MOVIE_FILES[case].split("\n")
    one_call = files._one_line_records(lines, fields, dict.fromkeys(fields, pl.String) | {
        "line": pl.Int64, "raw": pl.String, "parsed": pl.Boolean,
    })  # fmt: skip
    assert (one_call is not None) == (case in {"quoted", "crlf", "no_final_newline"})
