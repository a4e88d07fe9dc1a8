"""The per-field rules of each MovieLens release, as its README states them: ids positive,
timestamps inside the period the ratings were made in, genres from the release's list.

Each rule is checked on every layout whose files can break it, through ``load_movielens``
on real files, and on both ml-latest paths (the polars fast path and the line-by-line path).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from ml.data import formats
from ml.data.formats import RATING_PERIODS
from ml.data.readers import (
    ID_NOT_POSITIVE,
    TIMESTAMP_IMPLAUSIBLE,
    UNKNOWN_GENRE,
    UNKNOWN_MOVIE,
    MovieLensFormatError,
    load_movielens,
    read_interactions,
)

LATEST_MOVIES = [
    "movieId,title,genres",
    "1,Toy Story (1995),Adventure|Animation|Children|Comedy|Fantasy",
    "2,Heat (1995),Action|Crime|Thriller",
    "3,Dark Knight IMAX (2008),Action|IMAX",
    "4,Nothing Listed (2015),(no genres listed)",
    "5,Typo Genre (2001),Comedy|Sci-fi",  # line 6: unknown_genre ("Sci-Fi" is the spelling)
    "6,Made Up (2001),Drama|Cyberpunk",  # line 7: unknown_genre
    "-7,Negative Id (2001),Drama",  # line 8: id_not_positive
    "0,Zero Id (2001),Drama",  # line 9: id_not_positive
]
NOW = datetime(2026, 12, 1, tzinfo=UTC).timestamp()


def _utc(iso: str) -> int:
    return int(datetime.fromisoformat(iso).replace(tzinfo=UTC).timestamp())


def _write(folder: Path, name: str, lines: list[str], encoding: str = "utf-8") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return folder


def _reasons(data, table: str) -> dict[int, str]:
    rows = data.quarantine.filter(pl.col("table") == table)
    return dict(zip(rows["line"].to_list(), rows["reason"].to_list()))


@pytest.mark.parametrize("fast", [True, False], ids=["fast_path", "line_path"])
def test_ml_latest_ids_times_and_genres(tmp_path: Path, monkeypatch, fast: bool) -> None:
    """The same verdicts whether polars' fast path or the line-by-line path reads the file."""
    if not fast:
        monkeypatch.setattr(formats, "_fast_latest_ratings", lambda release, name: None)
    ratings = [
        "userId,movieId,rating,timestamp",
        "1,1,4.0,964982703",  # a real ml-latest-small time (2000): accepted
        f"1,2,3.5,{_utc('1995-01-09')}",  # first day of the family: accepted
        f"1,3,5.0,{_utc('2026-11-30')}",  # yesterday: accepted
        f"1,4,2.0,{_utc('1994-06-01')}",  # line 5: before MovieLens
        f"2,1,4.0,{_utc('2027-06-01')}",  # line 6: in the future
        "2,2,4.0,0",  # line 7: the epoch, a typical export bug
        "0,1,4.0,964982704",  # line 8: user 0
        "-3,2,4.0,964982705",  # line 9: negative user
        "2,5,4.0,964982706",  # line 10: its movie has an unknown genre
        "2,-7,4.0,964982707",  # line 11: negative movie id
    ]
    folder = _write(tmp_path / "ml-latest-small", "ratings.csv", ratings)
    _write(folder, "movies.csv", LATEST_MOVIES)
    data = load_movielens(folder, now=NOW)

    assert _reasons(data, "movies") == {
        6: UNKNOWN_GENRE,
        7: UNKNOWN_GENRE,
        8: ID_NOT_POSITIVE,
        9: ID_NOT_POSITIVE,
    }
    assert data.movies["item_id"].to_list() == [1, 2, 3, 4]
    assert data.movies.filter(pl.col("item_id") == 4)["genres"].to_list() == [[]]
    assert _reasons(data, "ratings") == {
        5: TIMESTAMP_IMPLAUSIBLE,
        6: TIMESTAMP_IMPLAUSIBLE,
        7: TIMESTAMP_IMPLAUSIBLE,
        8: ID_NOT_POSITIVE,
        9: ID_NOT_POSITIVE,
        10: UNKNOWN_MOVIE,
        11: ID_NOT_POSITIVE,
    }
    assert data.ratings.height == 3
    # The raw text of each quarantined row is the file's line, on either path.
    raw = data.quarantine.filter((pl.col("table") == "ratings") & (pl.col("line") == 7))["raw"]
    assert raw.to_list() == ["2,2,4.0,0"]
    kept = data.ratings.height + data.movies.height
    assert kept + data.quarantine.height == sum(data.rows_read.values())


def test_the_latest_family_period_follows_the_clock(tmp_path: Path) -> None:
    """A rating from 2026 is plausible today and was not in 2020: the end is the read time."""
    folder = _write(
        tmp_path / "ml-latest",
        "ratings.csv",
        ["userId,movieId,rating,timestamp", f"1,1,4.0,{_utc('2026-06-01')}"],
    )
    _write(folder, "movies.csv", LATEST_MOVIES[:2])
    assert load_movielens(folder, now=NOW).ratings.height == 1
    earlier = load_movielens(folder, now=_utc("2020-01-01"))
    assert _reasons(earlier, "ratings") == {2: TIMESTAMP_IMPLAUSIBLE}


def test_ml100k_period_is_its_seven_months(tmp_path: Path) -> None:
    flags = "|".join("1" if i == 8 else "0" for i in range(19))
    folder = _write(
        tmp_path / "ml-100k",
        "u.item",
        [
            f"1|Toy Story (1995)|01-Jan-1995||http://x|{flags}",
            f"-2|Bad (1995)|01-Jan-1995||x|{flags}",
        ],
        encoding="latin-1",
    )
    _write(
        folder,
        "u.data",
        [
            "1\t1\t5\t874724710",  # the release's first rating (1997-09-20)
            "2\t1\t4\t893286638",  # and its last (1998-04-22)
            f"3\t1\t4\t{_utc('1999-01-01')}",  # line 3: after the collection ended
            f"4\t1\t4\t{_utc('1997-01-01')}",  # line 4: before it began
            "0\t1\t4\t874724711",  # line 5: user 0
            "5\t-2\t4\t874724712",  # line 6: negative movie id
        ],
    )
    data = load_movielens(folder, now=NOW)
    assert _reasons(data, "movies") == {2: ID_NOT_POSITIVE}
    assert _reasons(data, "ratings") == {
        3: TIMESTAMP_IMPLAUSIBLE,
        4: TIMESTAMP_IMPLAUSIBLE,
        5: ID_NOT_POSITIVE,
        6: ID_NOT_POSITIVE,
    }


def test_ml1m_genres_have_no_imax_and_period_ends_2003(tmp_path: Path) -> None:
    folder = _write(
        tmp_path / "ml-1m",
        "movies.dat",
        [
            "1::Toy Story (1995)::Animation|Children's|Comedy",
            "2::Batman (1989)::Action|IMAX",  # line 2: ml-1m lists no IMAX
        ],
        encoding="latin-1",
    )
    _write(
        folder,
        "ratings.dat",
        [
            "1::1::5::978300760",
            f"1::1::4::{_utc('2004-01-01')}",  # line 2: after the release
        ],
    )
    data = load_movielens(folder, now=NOW)
    assert _reasons(data, "movies") == {2: UNKNOWN_GENRE}
    assert data.movies["genres"].to_list() == [["Animation", "Children", "Comedy"]]
    assert _reasons(data, "ratings") == {2: TIMESTAMP_IMPLAUSIBLE}


def test_every_release_period_starts_before_it_ends() -> None:
    for dataset, period in RATING_PERIODS.items():
        start, end = period.bounds(NOW)
        assert _utc("1995-01-01") < start < end <= NOW + 86_400, dataset


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_read_interactions_refuses_ids_that_are_not_positive(tmp_path: Path, suffix: str) -> None:
    frame = pl.DataFrame(
        {"user_id": [1, 2, 0], "item_id": [5, -1, 6], "rating": [4.0] * 3, "timestamp": [1] * 3}
    )
    path = tmp_path / f"train{suffix}"
    frame.write_csv(path) if suffix == ".csv" else frame.write_parquet(path)
    where = "line 4" if suffix == ".csv" else "row 3"
    with pytest.raises(MovieLensFormatError, match=f"user_id must be a positive integer, {where}"):
        read_interactions(path)
    frame.filter(pl.col("user_id") > 0).write_csv(tmp_path / "items.csv")
    with pytest.raises(MovieLensFormatError, match="item_id must be a positive integer, line 3"):
        read_interactions(tmp_path / "items.csv")


def test_the_readme_explains_every_quarantine_reason() -> None:
    from ml.data import schema

    reasons = {v for k, v in vars(schema).items() if k.isupper() and isinstance(v, str)}
    readme = (Path(__file__).parents[3] / "README.md").read_text()
    rows = {line.split("|")[1].strip().strip("`") for line in readme.splitlines() if "| `" in line}
    assert reasons and reasons <= rows, sorted(reasons - rows)
