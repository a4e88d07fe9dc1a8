"""Runs a killed ``cine run`` left unfinished are reported failed by the next one, with the
reason; runs of this process, runs from the UI and finished runs are left alone."""

import dagster as dg

from pipelines.runs import RUNNER_TAG, fail_abandoned_runs, runner_tags
from reports.summary import run_events


@dg.asset
def anything() -> int:
    return 1


def test_only_unfinished_runs_of_other_cine_processes_are_failed() -> None:
    job = dg.define_asset_job("j", selection=[anything]).resolve(
        asset_graph=dg.Definitions(assets=[anything]).resolve_asset_graph()
    )
    with dg.DagsterInstance.ephemeral() as instance:

        def run(status, tags):
            return instance.create_run_for_job(job, status=status, tags=tags).run_id

        killed = run(dg.DagsterRunStatus.STARTED, {RUNNER_TAG: "424242@gone"})
        queued = run(dg.DagsterRunStatus.NOT_STARTED, {RUNNER_TAG: "424243@gone"})
        mine = run(dg.DagsterRunStatus.STARTED, runner_tags())
        from_ui = run(dg.DagsterRunStatus.STARTED, {})
        finished = run(dg.DagsterRunStatus.SUCCESS, {RUNNER_TAG: "424244@gone"})

        assert sorted(fail_abandoned_runs(instance)) == sorted([killed, queued])
        status = {r: instance.get_run_by_id(r).status for r in (killed, mine, from_ui, finished)}
        assert status == {
            killed: dg.DagsterRunStatus.FAILURE,
            mine: dg.DagsterRunStatus.STARTED,
            from_ui: dg.DagsterRunStatus.STARTED,
            finished: dg.DagsterRunStatus.SUCCESS,
        }
        # The reason reaches cine status and the report as the run's error.
        _, _, errors = run_events(instance, killed)
        assert errors[0]["step"] == "run"
        assert "pid 424242 on gone" in errors[0]["message"]
        assert "killed or crashed" in errors[0]["message"]
        assert fail_abandoned_runs(instance) == []  # once
