"""Valid but unusual MovieLens files: CSV quoting, byte-order marks, line ends, rating scales.

Rows are written in the official layouts (the ml-latest CSV family, ml-1m "::" latin-1,
ml-100k tab-separated u.data and "|" latin-1 u.item) into a folder, or into a zip the
way GroupLens ships one (a single top-level folder).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import polars as pl
import pytest

from ml.data.formats import HALF_STARS, WHOLE_STARS
from ml.data.readers import (
    DUPLICATE,
    RATING_OFF_SCALE,
    RATING_OUT_OF_RANGE,
    UNKNOWN_MOVIE,
    UNPARSEABLE,
    MovieLensData,
    MovieLensFormatError,
    load_movielens,
)

RATINGS_HEADER = "userId,movieId,rating,timestamp"
MOVIES_HEADER = "movieId,title,genres"
IMDB = "http://us.imdb.com/M/title-exact?x"
BOM = "\ufeff"


def write_release(root: Path, name: str, files: dict[str, bytes], *, zipped: bool) -> Path:
    """Write ``files`` into folder ``root/name``, or into ``root/name.zip`` under ``name/``."""
    if not zipped:
        folder = root / name
        folder.mkdir(parents=True)
        for file, data in files.items():
            (folder / file).write_bytes(data)
        return folder
    root.mkdir(parents=True, exist_ok=True)
    archive = root / f"{name}.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{name}/", "")
        for file, data in files.items():
            zf.writestr(f"{name}/{file}", data)
    return archive


def source_file(source: Path, name: str, file: str) -> str:
    """The ``source_file`` text the readers give a file of a folder or zip release."""
    return f"{source}:{name}/{file}" if source.suffix == ".zip" else str(source / file)


def text(lines: list[str], newline: str = "\n") -> str:
    return "".join(line + newline for line in lines)


def reasons(data: MovieLensData, table: str) -> list[tuple[int, str]]:
    rows = data.quarantine.filter(pl.col("table") == table).sort("line")
    return list(zip(rows["line"].to_list(), rows["reason"].to_list()))


def assert_every_row_accounted(data: MovieLensData) -> None:
    for table, accepted in (("ratings", data.ratings), ("movies", data.movies)):
        quarantined = data.quarantine.filter(pl.col("table") == table).height
        assert accepted.height + quarantined == data.rows_read[table], table


def u_item(item_id: int, title: str, date: str, *genres: int) -> str:
    """One ml-100k u.item line with its 19 genre flags."""
    flags = "|".join("1" if i in genres else "0" for i in range(19))
    return f"{item_id}|{title}|{date}||{IMDB}|{flags}"


# Every row is valid; each is unusual in one way. The line break inside a quoted title
# is the file's own line end, as a CSV writer stores it.
def unusual_movies(newline: str) -> list[str]:
    return [
        MOVIES_HEADER,
        "1,Toy Story (1995),Adventure|Animation|Children|Comedy|Fantasy",
        '11,"American President, The (1995)",Comedy|Drama|Romance',
        f'750,"Dr. Strangelove or: How I Learned to Stop Worrying{newline}'
        'and Love the Bomb (1964)",Comedy|War',
        '2851,"""Great Performances"" Cats (1998)",Musical',
        '4973,"Amelie (Fabuleux destin d\'Amélie Poulain, Le) (2001)",Comedy|Romance',
        "6643,Tokyo Story (Tôkyô monogatari) (1953),Drama",
        "5618,千と千尋の神隠し (2001),Adventure|Animation|Fantasy",
        "40697,Babylon 5,Sci-Fi",
        "114335,La cravate (1957),(no genres listed)",
    ]


@pytest.mark.parametrize("zipped", [False, True], ids=["folder", "zip"])
@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_unusual_but_valid_movies_are_all_kept_byte_exact(
    tmp_path: Path, zipped: bool, newline: str
) -> None:
    ids = [1, 11, 750, 2851, 4973, 6643, 5618, 40697, 114335]
    ratings = [RATINGS_HEADER] + [f"1,{item},4.0,{964982703 + i}" for i, item in enumerate(ids)]
    files = {
        "movies.csv": text(unusual_movies(newline), newline).encode(),
        "ratings.csv": text(ratings, newline).encode(),
    }
    data = load_movielens(write_release(tmp_path, "ml-latest-small", files, zipped=zipped))

    assert_every_row_accounted(data)
    assert data.quarantine.height == 0
    assert data.rows_read == {"ratings": 9, "movies": 9}
    assert data.movies.rows() == [
        (1, "Toy Story", 1995, ["Adventure", "Animation", "Children", "Comedy", "Fantasy"]),
        (11, "American President, The", 1995, ["Comedy", "Drama", "Romance"]),
        (
            750,
            f"Dr. Strangelove or: How I Learned to Stop Worrying{newline}and Love the Bomb",
            1964,
            ["Comedy", "War"],
        ),
        (2851, '"Great Performances" Cats', 1998, ["Musical"]),
        (4973, "Amelie (Fabuleux destin d'Amélie Poulain, Le)", 2001, ["Comedy", "Romance"]),
        (6643, "Tokyo Story (Tôkyô monogatari)", 1953, ["Drama"]),
        (5618, "千と千尋の神隠し", 2001, ["Adventure", "Animation", "Fantasy"]),
        (40697, "Babylon 5", None, ["Sci-Fi"]),
        (114335, "La cravate", 1957, []),
    ]
    assert data.ratings["item_id"].to_list() == ids


def test_bad_movies_are_set_aside_alone_and_lines_stay_physical(tmp_path: Path) -> None:
    movies = [
        MOVIES_HEADER,
        "1,Toy Story (1995),Adventure|Animation|Children|Comedy|Fantasy",
        '750,"Dr. Strangelove or: How I Learned to Stop Worrying',  # 3: one record, 3-4
        'and Love the Bomb (1964)",Comedy|War',
        "2,Unquoted, Comma (1995),Drama",  # 5 unparseable: four fields
        '3,"Jumanji (1995),Adventure|Children|Fantasy',  # 6 unparseable: quote never closed
        "4,Grumpier Old Men (1995),Comedy|Romance",  # 7: not swallowed by line 6's quote
        "",
        '5,"Heat (1995)" extra,Action|Crime|Thriller',  # 9 unparseable: text after the quote
        "x,Sabrina (1995),Comedy|Romance",  # 10 unparseable id
        "1,Toy Story again (1995),Comedy",  # 11 duplicate
        '6,"Sudden Death (1995)",Action',
        'y,"Two',  # 13 unparseable id, one record over lines 13-14
        'Lines (1999)",Drama',
        "7,GoldenEye (1995),Action|Adventure|Thriller",
    ]
    ratings = [
        RATINGS_HEADER,
        "1,1,4.0,964982703",
        "1,750,5.0,964982931",
        "1,3,3.0,964982224",  # 4 unknown_movie: Jumanji was set aside
        "1,4,3.5,964983815",
        "1,6,2.0,964980868",
        "1,7,1.5,964980869",
    ]
    files = {"movies.csv": text(movies).encode(), "ratings.csv": text(ratings).encode()}
    source = write_release(tmp_path, "ml-latest-small", files, zipped=False)

    data = load_movielens(source)

    assert_every_row_accounted(data)
    assert data.rows_read == {"ratings": 6, "movies": 11}
    assert reasons(data, "movies") == [
        (5, UNPARSEABLE),
        (6, UNPARSEABLE),
        (9, UNPARSEABLE),
        (10, UNPARSEABLE),
        (11, DUPLICATE),
        (13, UNPARSEABLE),
    ]
    assert data.movies["item_id"].to_list() == [1, 750, 4, 6, 7]
    assert data.movies["title"].to_list() == [
        "Toy Story",
        "Dr. Strangelove or: How I Learned to Stop Worrying\nand Love the Bomb",
        "Grumpier Old Men",
        "Sudden Death",
        "GoldenEye",
    ]
    assert reasons(data, "ratings") == [(4, UNKNOWN_MOVIE)]
    assert data.ratings["item_id"].to_list() == [1, 750, 4, 6, 7]
    bad = data.quarantine.filter(pl.col("table") == "movies").sort("line")
    assert bad["raw"].to_list() == [
        "2,Unquoted, Comma (1995),Drama",
        '3,"Jumanji (1995),Adventure|Children|Fantasy',
        '5,"Heat (1995)" extra,Action|Crime|Thriller',
        "x,Sabrina (1995),Comedy|Romance",
        "1,Toy Story again (1995),Comedy",
        'y,"Two\nLines (1999)",Drama',
    ]
    assert bad["source_file"].unique().to_list() == [str(source / "movies.csv")]


def ml_latest_files(*, spreadsheet: bool) -> dict[str, bytes]:
    movies = [
        MOVIES_HEADER,
        "1,Toy Story (1995),Adventure|Animation|Children|Comedy|Fantasy",
        '4973,"Amelie (Fabuleux destin d\'Amélie Poulain, Le) (2001)",Comedy|Romance',
        "2,Unquoted, Comma (1995),Drama",  # 4 unparseable
    ]
    ratings = [
        RATINGS_HEADER,
        "1,1,4.0,964982703",
        "1,4973,4.5,964982704",
        "1,2,3.0,964982705",  # 4 unknown_movie
        "1,1,7.0,964982706",  # 5 rating_out_of_range
    ]
    if spreadsheet:
        return {
            "movies.csv": (BOM + text(movies, "\r\n")).encode(),
            "ratings.csv": (BOM + text(ratings, "\r\n")).encode(),
        }
    return {"movies.csv": text(movies).encode(), "ratings.csv": text(ratings).encode()}


def ml1m_files(*, spreadsheet: bool) -> dict[str, bytes]:
    movies = [
        "1::Toy Story (1995)::Animation|Children's|Comedy",
        "73::Misérables, Les (1995)::Drama|Musical",
        "3::Only Two Fields (1995)",  # 3 unparseable
    ]
    ratings = [
        "1::1::5::978300760",
        "1::73::3::978302109",
        "2::3::4::978300275",  # 3 unknown_movie
        "2::1::0::978300276",  # 4 rating_out_of_range
    ]
    if spreadsheet:
        # A byte-order mark says UTF-8, whatever the release's own encoding.
        return {
            "movies.dat": (BOM + text(movies, "\r\n")).encode(),
            "ratings.dat": (BOM + text(ratings, "\r\n")).encode(),
        }
    return {
        "movies.dat": text(movies).encode("latin-1"),
        "ratings.dat": text(ratings).encode("latin-1"),
    }


def ml100k_files(*, spreadsheet: bool) -> dict[str, bytes]:
    movies = [
        u_item(1, "Toy Story (1995)", "01-Jan-1995", 3, 4, 5),
        u_item(1367, "Misérables, Les (1995)", "01-Jan-1995", 8, 12),
        "5|Short Line (1995)|01-Jan-1995",  # 3 unparseable
    ]
    ratings = [
        "196\t1\t3\t881250949",
        "186\t1367\t3\t891717742",
        "22\t5\t1\t878887116",  # 3 unknown_movie
        "244\t1\t6\t880606923",  # 4 rating_out_of_range
    ]
    if spreadsheet:
        return {
            "u.item": (BOM + text(movies, "\r\n")).encode(),
            "u.data": (BOM + text(ratings, "\r\n")).encode(),
        }
    return {"u.item": text(movies).encode("latin-1"), "u.data": text(ratings).encode("latin-1")}


# name: (files, (movies file, ratings file), first data line (CSVs have a header), titles)
LAYOUTS = {
    "ml-latest-small": (
        ml_latest_files,
        ("movies.csv", "ratings.csv"),
        2,
        ["Toy Story", "Amelie (Fabuleux destin d'Amélie Poulain, Le)"],
    ),
    "ml-1m": (ml1m_files, ("movies.dat", "ratings.dat"), 1, ["Toy Story", "Misérables, Les"]),
    "ml-100k": (ml100k_files, ("u.item", "u.data"), 1, ["Toy Story", "Misérables, Les"]),
}


@pytest.mark.parametrize("zipped", [False, True], ids=["folder", "zip"])
@pytest.mark.parametrize("name", list(LAYOUTS))
def test_bom_and_crlf_read_like_the_plain_file_and_are_noted(
    tmp_path: Path, name: str, zipped: bool
) -> None:
    make, file_names, first, titles = LAYOUTS[name]
    plain_source = write_release(tmp_path / "plain", name, make(spreadsheet=False), zipped=zipped)
    saved_source = write_release(tmp_path / "saved", name, make(spreadsheet=True), zipped=zipped)

    plain, saved = load_movielens(plain_source), load_movielens(saved_source)

    for data in (plain, saved):
        assert_every_row_accounted(data)
        assert data.rows_read == {"ratings": 4, "movies": 3}
        assert (data.ratings.height, data.movies.height) == (2, 2)
        assert reasons(data, "movies") == [(first + 2, UNPARSEABLE)]
        assert reasons(data, "ratings") == [
            (first + 2, UNKNOWN_MOVIE),
            (first + 3, RATING_OUT_OF_RANGE),
        ]
        assert data.movies["title"].to_list() == titles
    assert saved.ratings.equals(plain.ratings)
    assert saved.movies.equals(plain.movies)
    assert saved.quarantine.drop("source_file").equals(plain.quarantine.drop("source_file"))
    assert plain.encoding_notes == {}
    assert saved.encoding_notes == {
        source_file(saved_source, name, file): ["UTF-8 byte-order mark", "CRLF line ends"]
        for file in file_names
    }


def test_utf8_without_bom_in_a_latin1_release_is_read_as_utf8_and_noted(tmp_path: Path) -> None:
    files = ml1m_files(spreadsheet=False)
    files["movies.dat"] = files["movies.dat"].decode("latin-1").encode("utf-8")
    source = write_release(tmp_path, "ml-1m", files, zipped=False)

    data = load_movielens(source)

    assert data.movies["title"].to_list() == ["Toy Story", "Misérables, Les"]
    assert data.encoding_notes == {
        str(source / "movies.dat"): ["UTF-8 text, not the release's latin-1"]
    }


# Every byte value once: not UTF-8, and a NUL, so not latin-1 text either.
GARBAGE = bytes(range(256)) * 4


@pytest.mark.parametrize(
    ("name", "make", "file", "content", "reason"),
    [
        ("ml-latest-small", ml_latest_files, "ratings.csv", b"", "empty file"),
        (
            "ml-latest-small",
            ml_latest_files,
            "ratings.csv",
            f"{RATINGS_HEADER}\n\n".encode(),
            "no data rows",
        ),
        (
            "ml-latest-small",
            ml_latest_files,
            "ratings.csv",
            b"user_id,item_id,rating,timestamp\n1,1,4.0,964982703\n",
            "unexpected header 'user_id,item_id,rating,timestamp', "
            "expected 'userId,movieId,rating,timestamp'",
        ),
        ("ml-latest-small", ml_latest_files, "ratings.csv", GARBAGE, "not utf-8 text"),
        ("ml-latest-small", ml_latest_files, "movies.csv", GARBAGE, "not utf-8 text"),
        ("ml-1m", ml1m_files, "ratings.dat", GARBAGE, "binary data, not text (NUL on line 1)"),
        ("ml-1m", ml1m_files, "movies.dat", b"\n\n", "no data rows"),
        ("ml-100k", ml100k_files, "u.data", b"", "no data rows"),
        ("ml-100k", ml100k_files, "u.item", GARBAGE, "binary data, not text (NUL on line 1)"),
    ],
    ids=[
        "csv-empty",
        "csv-header-only",
        "csv-wrong-header",
        "csv-binary-ratings",
        "csv-binary-movies",
        "1m-binary",
        "1m-blank",
        "100k-empty",
        "100k-binary",
    ],
)
def test_unreadable_file_raises_one_line_naming_file_and_reason(
    tmp_path: Path, name: str, make, file: str, content: bytes, reason: str
) -> None:
    files = make(spreadsheet=False) | {file: content}
    source = write_release(tmp_path, name, files, zipped=False)

    with pytest.raises(MovieLensFormatError) as error:
        load_movielens(source)

    message = str(error.value)
    assert type(error.value) is MovieLensFormatError
    assert message.startswith(f"{source / file}: {reason}")
    assert "\n" not in message


def test_damaged_zip_member_raises_naming_the_member(tmp_path: Path) -> None:
    archive = write_release(tmp_path, "ml-1m", ml1m_files(spreadsheet=False), zipped=True)
    with zipfile.ZipFile(archive) as zf:
        member = zf.getinfo("ml-1m/ratings.dat")
    # Zero the member's compressed bytes, just past its 30-byte local header and name.
    start = member.header_offset + 30 + len(member.filename)
    data = bytearray(archive.read_bytes())
    data[start : start + member.compress_size] = bytes(member.compress_size)
    archive.write_bytes(bytes(data))

    with pytest.raises(MovieLensFormatError) as error:
        load_movielens(archive)

    assert str(error.value).startswith(f"{archive}:ml-1m/ratings.dat: cannot be unzipped (")
    assert "\n" not in str(error.value)


HALF_STAR_VALUES = ["0.5", "1.0", "1.5", "2.0", "2.5", "3.0", "3.5", "4.0", "4.5", "5.0"]


def test_ml_latest_half_stars_quarantine_ratings_between_steps(tmp_path: Path) -> None:
    values = [*HALF_STAR_VALUES, "3.25", "4.75", "0.0", "5.5", "7"]
    ratings = [RATINGS_HEADER] + [f"1,1,{v},{964982703 + i}" for i, v in enumerate(values)]
    files = {
        "movies.csv": text([MOVIES_HEADER, "1,Toy Story (1995),Comedy"]).encode(),
        "ratings.csv": text(ratings).encode(),
    }
    data = load_movielens(write_release(tmp_path, "ml-latest-small", files, zipped=True))

    assert_every_row_accounted(data)
    assert data.rating_scale == HALF_STARS
    assert data.rows_read == {"ratings": 15, "movies": 1}
    assert data.ratings["rating"].to_list() == [float(v) for v in HALF_STAR_VALUES]
    assert reasons(data, "ratings") == [
        (12, RATING_OFF_SCALE),
        (13, RATING_OFF_SCALE),
        (14, RATING_OUT_OF_RANGE),
        (15, RATING_OUT_OF_RANGE),
        (16, RATING_OUT_OF_RANGE),
    ]


def ratings_1m(values: list[str]) -> dict[str, bytes]:
    return {
        "movies.dat": text(["1::Toy Story (1995)::Animation|Children's|Comedy"]).encode(),
        "ratings.dat": text([f"1::1::{v}::{978300760 + i}" for i, v in enumerate(values)]).encode(),
    }


def test_ml1m_whole_stars_quarantine_half_stars(tmp_path: Path) -> None:
    values = ["1", "2", "3", "4", "5", "3.5", "0.5", "0", "6"]
    data = load_movielens(write_release(tmp_path, "ml-1m", ratings_1m(values), zipped=False))

    assert_every_row_accounted(data)
    assert data.dataset == "ml-1m" and data.rating_scale == WHOLE_STARS
    assert data.ratings["rating"].to_list() == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert reasons(data, "ratings") == [
        (6, RATING_OFF_SCALE),
        (7, RATING_OUT_OF_RANGE),
        (8, RATING_OUT_OF_RANGE),
        (9, RATING_OUT_OF_RANGE),
    ]


def test_wider_bounds_keep_the_release_steps(tmp_path: Path) -> None:
    """The ingest asset passes its configured (0.5, 5.0); ml-1m still has whole stars."""
    values = ["1", "5", "3.5", "0.5", "0"]
    source = write_release(tmp_path, "ml-1m", ratings_1m(values), zipped=False)

    data = load_movielens(source, rating_scale=(0.5, 5.0))

    assert_every_row_accounted(data)
    assert data.ratings["rating"].to_list() == [1.0, 5.0]
    assert reasons(data, "ratings") == [
        (3, RATING_OFF_SCALE),
        (4, RATING_OFF_SCALE),
        (5, RATING_OUT_OF_RANGE),
    ]


def test_ml10m_shares_ml1m_files_but_has_half_stars(tmp_path: Path) -> None:
    files = ratings_1m(["4.5", "5", "3.25"])
    files["tags.dat"] = text(["15::4973::excellent!::1215184630"]).encode()
    data = load_movielens(write_release(tmp_path, "ml-10M100K", files, zipped=True))

    assert_every_row_accounted(data)
    assert data.dataset == "ml-10m" and data.rating_scale == HALF_STARS
    assert data.ratings["rating"].to_list() == [4.5, 5.0]
    assert reasons(data, "ratings") == [(3, RATING_OFF_SCALE)]


def test_ml100k_whole_stars_quarantine_half_stars(tmp_path: Path) -> None:
    ratings = ["196\t1\t3\t881250949", "186\t1\t3.5\t891717742", "22\t1\t4.5\t878887116"]
    ratings += ["244\t1\t6\t880606923", "166\t1\t1\t886397596"]
    files = {
        "u.item": text([u_item(1, "Toy Story (1995)", "01-Jan-1995", 3, 4, 5)]).encode("latin-1"),
        "u.data": text(ratings).encode(),
    }
    data = load_movielens(write_release(tmp_path, "ml-100k", files, zipped=False))

    assert_every_row_accounted(data)
    assert data.dataset == "ml-100k" and data.rating_scale == WHOLE_STARS
    assert data.ratings["rating"].to_list() == [3.0, 1.0]
    assert reasons(data, "ratings") == [
        (2, RATING_OFF_SCALE),
        (3, RATING_OFF_SCALE),
        (4, RATING_OUT_OF_RANGE),
    ]


@pytest.mark.parametrize(
    ("stem", "scale", "accepted"),
    [("ml-100k", WHOLE_STARS, [3.0]), ("ml-20m", HALF_STARS, [3.0, 3.5])],
)
def test_recbole_atomic_files_keep_their_release_scale(
    tmp_path: Path, stem: str, scale, accepted: list[float]
) -> None:
    files = {
        f"{stem}.item": text(
            ["item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq"]
            + ["1\tToy Story\t1995\tAnimation Children's Comedy"]
        ).encode(),
        f"{stem}.inter": text(
            ["user_id:token\titem_id:token\trating:float\ttimestamp:float"]
            + ["196\t1\t3\t881250949", "186\t1\t3.5\t891717742"]
        ).encode(),
    }
    data = load_movielens(write_release(tmp_path, stem, files, zipped=False))

    assert_every_row_accounted(data)
    assert data.rating_scale == scale
    assert data.ratings["rating"].to_list() == accepted
    assert reasons(data, "ratings") == ([] if scale == HALF_STARS else [(3, RATING_OFF_SCALE)])
