"""Runs that a ``cine run`` process started and never finished: it was killed or crashed.

Dagster records a run as STARTED when it begins and as finished when its process says so;
a process killed with SIGKILL (the OOM killer, a reboot, ``kill -9``) says nothing, and the
run would show as running for ever in the UI and in ``cine status``. Every ``cine run`` tags
its runs with the process that runs them; the next ``cine run`` on the home, holding the
home's run lock (so no other ``cine run`` can be running there), reports those runs failed
with that reason. Runs launched from the Dagster UI are left to Dagster's own run monitoring
(``run_monitoring`` in dagster.yaml, docs/dagster.yaml), which watches its run workers.

What the killed run left is safe to build on: every stored value is written to a temporary
name and renamed into place (``assets/storage.py``), so a later step reads a whole value or
none, and the next run recomputes what the killed one did not finish and reuses what it did
(``assets/reuse.py``).
"""

from __future__ import annotations

import os
import socket

import dagster as dg

#: ``<pid>@<host>`` of the ``cine run`` process that runs a run.
RUNNER_TAG = "cine/runner"

_UNFINISHED = [
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]


def runner_tags() -> dict[str, str]:
    """The tags a ``cine run`` process puts on each run it runs."""
    return {RUNNER_TAG: f"{os.getpid()}@{socket.gethostname()}"}


def fail_abandoned_runs(instance: dg.DagsterInstance) -> list[str]:
    """Report failed every unfinished run tagged by a ``cine run`` process other than this
    one; the ids of those runs. Call it holding the home's run lock (``cli.home.run_lock``):
    only then is every such run known to be abandoned."""
    mine = runner_tags()[RUNNER_TAG]
    failed = []
    for record in instance.get_run_records(dg.RunsFilter(statuses=_UNFINISHED)):
        run = record.dagster_run
        runner = run.tags.get(RUNNER_TAG)
        if runner is None or runner == mine:
            continue
        pid, _, host = runner.partition("@")
        instance.report_run_failed(
            run,
            message=(
                f"the cine run process that ran this run (pid {pid} on {host}) ended "
                "without finishing it: it was killed or crashed; the next run recomputes "
                "the steps it did not finish"
            ),
        )
        failed.append(run.run_id)
    return failed
