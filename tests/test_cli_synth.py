"""``cine synth``: writes a labelled synthetic release the pipeline's reader takes whole."""

from __future__ import annotations

import json

from cli.main import main
from ml.data.readers import load_movielens
from ml.data.synthetic import is_synthetic


def test_synth_writes_a_labelled_release_and_refuses_sizes_that_cannot_fit(
    tmp_path, capsys
) -> None:
    out = tmp_path / "release"
    assert main(["synth", "--ratings", "3000", "--out", str(out), "--seed", "4", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["ratings"] == 3000 and summary["path"] == str(out) and summary["seed"] == 4
    assert is_synthetic(out)
    data = load_movielens(out)
    assert data.ratings.height == 3000 and data.quarantine.is_empty()
    assert data.ratings["user_id"].n_unique() == summary["users"]
    bad = ["synth", "--ratings", "3000", "--users", "2", "--out", str(tmp_path / "bad")]
    assert main(bad) == 2
    assert "do not fit" in capsys.readouterr().err
