"""Metadata join, content similarity, MMR, explanations, cold start and personas."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from ml.content.coldstart import ColdStart, UnknownTitles
from ml.content.embeddings import ContentEmbeddings, decay_matrix, embed_items, similarity_table
from ml.content.metadata import join_omdb, title_keys
from ml.data.titles import display_title
from ml.hybrid.explain import explain, sentence
from ml.hybrid.ltr import coordinate_ascent, ndcg_at_k, pad_groups
from ml.hybrid.personas import build_personas
from ml.hybrid.ranking import mmr
from ml.hybrid.surprise import usual_genres
from quality.content_checks import explanations_true

MOVIES = pl.DataFrame(
    {
        "item_id": [1, 2, 3, 4, 5, 6],
        "title": [
            "Matrix, The",
            "Alien",
            "Aliens",
            "Crouching Tiger, Hidden Dragon (Wo hu cang long)",
            "Gladiator",
            "Zzqx Unknown Film",
        ],
        "year": [1999, 1979, 1986, 2001, 2000, 2001],
        "genres": [
            ["Action", "Sci-Fi"],
            ["Horror", "Sci-Fi"],
            ["Action", "Horror", "Sci-Fi"],
            ["Action", "Drama"],
            ["Action", "Drama"],
            ["Comedy"],
        ],
    },
    schema_overrides={"year": pl.Int32},
)


def test_title_normalisation():
    assert display_title("Matrix, The") == "The Matrix"
    assert title_keys("Matrix, The")[0] == "the matrix"
    assert "wo hu cang long" in title_keys("Crouching Tiger, Hidden Dragon (Wo hu cang long)")
    assert title_keys("Amelie (Fabuleux destin d'Amélie Poulain, Le)")[0] == "amelie"


def test_omdb_join_on_the_real_table():
    joined = join_omdb(MOVIES)
    meta = {r["item_id"]: r for r in joined.metadata.iter_rows(named=True)}
    assert meta[1]["director"] == ["Lana Wachowski", "Lilly Wachowski"]
    assert meta[2]["director"] == ["Ridley Scott"] and meta[5]["director"] == ["Ridley Scott"]
    # OMDb dates Crouching Tiger 2000; MovieLens here says 2001: the ±1 year rule matches it.
    assert meta[4]["director"] == ["Ang Lee"] and meta[4]["match"] == "year±1"
    assert joined.unmatched["item_id"].to_list() == [6]
    assert joined.unmatched["reason"].item() == "title not in the OMDb table"
    assert joined.match_rate == pytest.approx(5 / 6)


@pytest.fixture(scope="module")
def emb():
    vectors = np.array(
        [[1, 0, 0], [0, 1, 0.2], [0, 1, 0.3], [0.7, 0, 0.7], [0.6, 0.1, 0.8], [0, 0, 1]],
        dtype=np.float32,
    )
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return ContentEmbeddings(np.arange(1, 7), vectors, "test")


def test_similarity_table_excludes_self_and_orders(emb):
    table = similarity_table(emb, top_n=2)
    assert table.height == 12
    assert (table["item_id"] != table["neighbour_id"]).all()
    row = table.filter(pl.col("item_id") == 2)
    assert row["neighbour_id"].to_list()[0] == 3
    assert row["similarity"].is_sorted(descending=True)


def test_tfidf_backend_encodes_queries_in_item_space():
    texts = ["space robots laser", "romantic comedy wedding", "space station alien"]
    e = embed_items(np.array([10, 11, 12]), texts, backend="tfidf-lsa", dim=2)
    q = e.encode(["alien space"])[0]
    assert int(np.argmax(e.vectors @ q)) in (0, 2)
    assert np.allclose(np.linalg.norm(e.vectors, axis=1), 1, atol=1e-5)


def test_decay_halves_weight_per_half_life():
    day = 86_400
    ratings = pl.DataFrame(
        {"user_id": [1, 1], "item_id": [1, 2], "rating": [5.0, 5.0], "timestamp": [0, 10 * day]}
    )
    w = decay_matrix(ratings, np.array([1]), np.array([1, 2]), half_life_days=10).toarray()
    assert w[0, 1] == pytest.approx(1.0) and w[0, 0] == pytest.approx(0.5)


def test_mmr_trades_relevance_for_diversity():
    rel = np.array([1.0, 0.99, 0.5])
    vectors = np.array([[1.0, 0], [1.0, 0.01], [0, 1.0]])
    assert mmr(rel, vectors, 1.0, 3).tolist() == [0, 1, 2]
    assert mmr(rel, vectors, 0.5, 3).tolist()[:2] == [0, 2]
    with pytest.raises(ValueError):
        mmr(rel, vectors, 1.5, 3)


def test_coordinate_ascent_finds_the_informative_feature():
    rng = np.random.default_rng(0)
    groups = []
    for _ in range(30):
        labels = np.zeros(20, dtype=bool)
        labels[rng.choice(20, 2, replace=False)] = True
        x = np.stack([labels + 0.3 * rng.random(20), rng.random(20)], axis=1)
        groups.append((x, labels, 2))
    padded = pad_groups(groups)
    start = np.array([0.0, 1.0])  # the noise feature only
    assert ndcg_at_k(padded[0] @ start, *padded[1:]) < 0.6
    w, value = coordinate_ascent(*padded, start)
    assert value == pytest.approx(1.0) and w[0] > w[1]


def test_usual_genres_cover_the_habit():
    genres = [["Drama"], ["Drama"], ["Drama", "Comedy"], ["Horror"]]
    assert usual_genres(np.array([0, 1, 2, 3]), genres) == ["Drama"]


def test_sentence_states_only_facts():
    titles = {2: "Alien", 3: "Aliens", 5: "Gladiator"}
    assert sentence([], {}, {}, [], titles) == "Popular with viewers overall"
    two = sentence([(2, 5.0)], {"Ridley Scott": [2, 5]}, {}, [], titles)
    assert two == "Because you rated Alien 5★ and liked Ridley Scott's films"
    one = sentence([(3, 4.5)], {"Ridley Scott": [2]}, {}, [], titles)
    assert one == "Because you rated Aliens 4.5★ and liked Alien, also directed by Ridley Scott"
    extra = sentence([(2, 5.0), (3, 4.0)], {}, {"An Extra": [2]}, [], titles)
    assert extra == "Because you rated Alien 5★ and Aliens 4★"  # one shared actor: not cited
    assert sentence([(2, 5.0)], {}, {"Sigourney Weaver": [2, 3]}, [], titles).endswith(
        "and liked films with Sigourney Weaver"
    )


def test_explanations_are_true_and_checked(emb):
    meta = join_omdb(MOVIES).metadata
    ratings = pl.DataFrame(
        {"user_id": [7, 7, 7], "item_id": [2, 5, 6], "rating": [5.0, 4.0, 1.0],
         "timestamp": [1, 2, 3]}
    )  # fmt: skip
    recs = pl.DataFrame({"user_id": [7, 7], "item_id": [3, 1], "rank": [1, 2]})
    out = explain(recs, ratings, meta, emb)
    first = out.row(0, named=True)
    assert first["because_item_ids"][0] == 2 and first["because_ratings"][0] == 5.0
    assert 6 not in sum(out["because_item_ids"].to_list(), [])  # rated 1★: not "liked"
    passed, info = explanations_true(out, ratings, meta)
    assert passed, info
    lie = out.with_columns(
        pl.lit("Because you rated Alien 5★ and liked Ang Lee's films").alias("reason")
    )
    assert not explanations_true(lie, ratings, meta)[0]
    wrong = out.with_columns(pl.lit([4.0]).alias("because_ratings"))
    assert explanations_true(wrong, ratings, meta)[1]["value"] >= 1


def test_coldstart_liked_and_unknown(emb):
    cold = ColdStart(emb, MOVIES)
    out = cold.from_liked(["Alien"], k=2)
    assert out["item_id"].to_list()[0] == 3
    assert out["reason"][0].startswith("Similar to Alien (1979)")
    assert cold.resolve(["The Matrix (1999)"]) == [0]
    with pytest.raises(UnknownTitles) as error:
        cold.resolve(["Alienz"])
    assert "Alien (1979)" in error.value.suggestions["Alienz"]


def test_personas_separate_two_tastes():
    users = np.arange(1, 21)
    horror, drama = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    emb = np.stack([horror if u <= 10 else drama for u in users]) + 0.01 * (users[:, None] % 3)
    ratings = pl.DataFrame(
        {"user_id": np.repeat(users, 2),
         "item_id": [i for u in users for i in ((2, 3) if u <= 10 else (4, 5))],
         "rating": 4.0}
    )  # fmt: skip
    p = build_personas(users, emb, ratings, MOVIES, k=2)
    names = dict(p.users.select("user_id", "persona").iter_rows())
    assert names[1] == "The Fright Fan" and names[20] == "The Drama Devotee"
    assert p.silhouette > 0.9


def test_hybrid_report_section_renders():
    from reports.render import _environment
    from reports.sections.hybrid import hybrid_section

    row = {"coverage": 0.05, "diversity_genre": 0.79, "diversity_content": 0.6, "novelty": 2.4}
    section = hybrid_section(
        ablation=[
            {"variant": "best single (ease)", "ndcg@10": 0.3837, **row},
            {"variant": "hybrid", "ndcg@10": 0.3877, **row},
        ],
        personas=[{"persona": "The Fright Fan", "users": 3, "description": "Horror 2.0×"}],
        weights={"cf": 1.5},
    )
    assert section["data"]["verdict"].startswith("The hybrid beats the best single model")
    html = _environment().get_template(section["html_template"]).render(data=section["data"])
    assert "The Fright Fan" in html and "0.388" in html and "cf +1.50" in html


def test_review_clause_only_where_sentiment_lifted_the_title() -> None:
    from ml.hybrid.explain import with_review_clause

    recs = pl.DataFrame(
        {"user_id": [1, 1, 1], "item_id": [10, 20, 30], "reason": ["Because you rated A 5★."] * 3}
    )
    # movie_id is text, as movie-review files and TMDb give it; an id outside the catalogue
    # ("tt0062622") joins nothing and breaks nothing.
    sentiment = pl.DataFrame(
        {
            "movie_id": ["10", "20", "30", "tt0062622"],
            "n_reviews": [14, 2, 9, 50],
            "share_positive": [0.82, 1.0, 0.3, 0.9],
            "sentiment_feature": [0.21, 0.1, -0.35, 0.3],
        }
    )
    out = with_review_clause(recs, sentiment, sentiment_weight=0.4)
    assert out["reason"].to_list() == [
        "Because you rated A 5★. Reviewers liked it: 82% positive in 14 reviews.",
        "Because you rated A 5★.",  # too few reviews to say so
        "Because you rated A 5★.",  # reviewers did not like it: no lift, no claim
    ]
    unused = with_review_clause(recs, sentiment, sentiment_weight=0.0)
    assert unused["reason"].to_list() == recs["reason"].to_list()


def test_truth_check_verifies_the_review_clause() -> None:
    from ml.hybrid.explain import with_review_clause

    ratings = pl.DataFrame({"user_id": [1], "item_id": [99], "rating": [4.0]})
    meta = pl.DataFrame({"item_id": [10, 99], "director": [[], []], "cast": [[], []]})
    recs = pl.DataFrame(
        {
            "user_id": [1],
            "item_id": [10],
            "reason": ["Because you rated B 4★."],
            "because_item_ids": [[99]],
            "because_ratings": [[4.0]],
            "shared_directors": [[]],
            "shared_cast": [[]],
        }
    )
    sentiment = pl.DataFrame(
        {
            "movie_id": ["10"],
            "n_reviews": [8],
            "share_positive": [0.625],
            "sentiment_feature": [0.1],
        }
    )
    claimed = with_review_clause(recs, sentiment, sentiment_weight=1.0)
    assert claimed["reason"].item().endswith("63% positive in 8 reviews.")
    assert explanations_true(claimed, ratings, meta, sentiment)[0]
    other = sentiment.with_columns(pl.lit(0.5).alias("share_positive"))
    passed, info = explanations_true(claimed, ratings, meta, other)
    assert not passed and info["value"] == 1
