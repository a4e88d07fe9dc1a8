"""``dagster dev``'s webserver serves the project's schedules and sensors with their targets.

Starts the real webserver on loopback over ``workspace.yaml`` and asks its GraphQL API, as the
UI's Automation page does.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
QUERY = """
{ repositoriesOrError { ... on RepositoryConnection { nodes {
    schedules { name cronSchedule pipelineName scheduleState { status } }
    sensors { name targets { pipelineName } sensorState { status } }
    jobs { name }
} } } }
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


@pytest.fixture
def webserver(tmp_path: Path):
    port = _free_port()
    dagster_home = tmp_path / "dagster"
    dagster_home.mkdir()
    (dagster_home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = {**os.environ, "DAGSTER_HOME": str(dagster_home), "CINE_HOME": str(tmp_path / "home")}
    binary = Path(sys.executable).with_name("dagster-webserver")
    cmd = [str(binary), "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)]
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        deadline = time.monotonic() + 180
        while True:
            if proc.poll() is not None:
                pytest.fail(f"dagster-webserver exited: {proc.stdout.read()[-3000:]}")
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("dagster-webserver did not answer within 180 s")
                time.sleep(1)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_the_ui_serves_schedules_and_sensors(webserver: int) -> None:
    deadline = time.monotonic() + 120
    while True:
        data = _graphql(webserver, QUERY)["data"]["repositoriesOrError"]
        if data.get("nodes"):
            break
        assert time.monotonic() < deadline, data
        time.sleep(1)
    (repo,) = data["nodes"]
    schedules = {
        s["name"]: (s["pipelineName"], s["cronSchedule"], s["scheduleState"]["status"])
        for s in repo["schedules"]
    }
    assert schedules == {
        "nightly_refresh": ("cine", "0 2 * * *", "STOPPED"),
        "weekly_ranking_ablation": ("evaluation", "0 4 * * 0", "STOPPED"),
        "weekly_sentiment_cv": ("sentiment_cv", "0 4 * * 0", "STOPPED"),
        "weekly_model_tuning": ("tuning", "0 4 * * 0", "STOPPED"),
    }
    sensors = {
        s["name"]: ([t["pipelineName"] for t in s["targets"]], s["sensorState"]["status"])
        for s in repo["sensors"]
    }
    assert sensors == {
        "movielens_drop": (["cine"], "STOPPED"),
        "new_trailers": (["vibe_refresh"], "STOPPED"),
        # It starts no run (it reports on failed ones), so it is on from the start.
        "failed_run_report": ([], "RUNNING"),
    }
    assert {"cine", "evaluation", "sentiment_cv", "ingest_and_check", "vibe_refresh", "tuning"} <= {
        j["name"] for j in repo["jobs"]
    }
