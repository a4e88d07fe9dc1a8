"""Explanations state only facts: cited ratings, shared credits, the reviewers' clause."""

from __future__ import annotations

import polars as pl

from ml.hybrid.explain import sentence, with_review_clause
from tests.toy_catalogue import toy_explained


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


def test_explain_cites_only_liked_ratings():
    out, _, _ = toy_explained()
    first = out.row(0, named=True)
    assert first["because_item_ids"][0] == 2 and first["because_ratings"][0] == 5.0
    assert 6 not in sum(out["because_item_ids"].to_list(), [])  # rated 1★: not "liked"


def test_review_clause_only_where_sentiment_lifted_the_title() -> None:
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
