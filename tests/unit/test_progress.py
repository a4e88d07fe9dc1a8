"""``cine run``'s progress line, on a real Dagster instance running a real job."""

import io
import time

import dagster as dg

from cli.progress import CLEAR, RunProgress
from pipelines.runs import runner_tags


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@dg.asset
def first() -> int:
    return 1


@dg.asset
def slow(first: int) -> int:
    time.sleep(1.5)
    return first + 1


@dg.asset
def last(slow: int) -> int:
    return slow + 1


def _run(instance: dg.DagsterInstance) -> None:
    result = dg.materialize([first, slow, last], instance=instance, tags=runner_tags())
    assert result.success


def test_the_line_shows_steps_done_and_the_running_step() -> None:
    screen = Terminal()
    with dg.DagsterInstance.ephemeral() as instance:
        with RunProgress(instance, 3, screen, interval=0.1) as progress:
            _run(instance)
            progress.poll()
            assert progress.done == 3
            assert progress.line().startswith("  [3/3 steps] · ")
    drawn = screen.getvalue()
    assert "running slow 1s" in drawn or "running slow 0s" in drawn, drawn
    assert drawn.endswith(CLEAR)  # the line is cleared when the run ends


def test_nothing_is_drawn_when_the_output_is_not_a_terminal() -> None:
    log = io.StringIO()
    with dg.DagsterInstance.ephemeral() as instance:
        with RunProgress(instance, 3, log, interval=0.05) as progress:
            _run(instance)
        assert not progress.enabled
    assert log.getvalue() == ""


def test_an_older_run_of_the_same_process_is_not_followed() -> None:
    with dg.DagsterInstance.ephemeral() as instance:
        _run(instance)  # e.g. the ingest gate's run, just before
        time.sleep(1.1)
        progress = RunProgress(instance, 3, Terminal())
        progress.poll()
        assert progress.done == 0 and progress.line().startswith("  [0/3 steps]")
