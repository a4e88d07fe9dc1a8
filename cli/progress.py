"""A progress line under ``cine run``'s log on a terminal: steps done of all, what runs now
and for how long.

It reads the run's step events from the Dagster instance, so it shows the same thing
whichever executor runs the steps (in this process or in step processes), and it never
writes when the output is not a terminal (CI logs, files keep the plain log lines). The
console logger starts each of its lines by clearing the progress line
(``pipelines.loggers``), so the two never mix.
"""

from __future__ import annotations

import shutil
import threading
import time
from typing import TextIO

import dagster as dg

from pipelines.runs import RUNNER_TAG, runner_tags

_STEP_EVENTS = {
    dg.DagsterEventType.STEP_START,
    dg.DagsterEventType.STEP_SUCCESS,
    dg.DagsterEventType.STEP_FAILURE,
    dg.DagsterEventType.STEP_SKIPPED,
}
_DONE = {
    dg.DagsterEventType.STEP_SUCCESS.value,
    dg.DagsterEventType.STEP_FAILURE.value,
    dg.DagsterEventType.STEP_SKIPPED.value,
}
CLEAR = "\r\x1b[K"


class RunProgress:
    """Draw the progress of this process's current run on ``stream`` every ``interval`` s.

    Use as a context manager around the execution of a job with ``total`` steps.
    """

    def __init__(
        self,
        instance: dg.DagsterInstance,
        total: int,
        stream: TextIO,
        *,
        interval: float = 0.5,
        started: float | None = None,
    ):
        self.instance, self.total, self.stream, self.interval = instance, total, stream, interval
        self.started = time.monotonic() if started is None else started
        self.enabled = bool(getattr(stream, "isatty", lambda: False)())
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="cine-progress", daemon=True)
        self._since = time.time() - 1  # the run this process starts next, not an older one
        self._run_id: str | None = None
        self._cursor: str | None = None
        self._running: dict[str, float] = {}
        self.done = 0

    def __enter__(self) -> RunProgress:
        if self.enabled:
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        if self.enabled:
            self._stop.set()
            self._thread.join(timeout=5)
            self.stream.write(CLEAR)
            self.stream.flush()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.poll()
            except Exception:  # noqa: BLE001 - a progress line never breaks a run
                continue
            self.stream.write(CLEAR + self.line())
            self.stream.flush()

    def poll(self) -> None:
        """Read the step events written since the last poll."""
        if self._run_id is None:
            mine = dg.RunsFilter(tags={RUNNER_TAG: runner_tags()[RUNNER_TAG]})
            records = self.instance.get_run_records(mine, limit=1)
            if not records or records[0].create_timestamp.timestamp() < self._since:
                return
            self._run_id = records[0].dagster_run.run_id
        page = self.instance.get_records_for_run(
            self._run_id, cursor=self._cursor, of_type=_STEP_EVENTS
        )
        self._cursor = page.cursor
        for record in page.records:
            entry = record.event_log_entry
            step, kind = entry.step_key, entry.dagster_event_type.value
            if kind == dg.DagsterEventType.STEP_START.value:
                self._running[step] = entry.timestamp
            elif kind in _DONE:
                self._running.pop(step, None)
                self.done += 1

    def line(self) -> str:
        now = time.time()
        running = sorted(self._running.items(), key=lambda kv: kv[1])
        shown = ", ".join(f"{step} {_clock(now - since)}" for step, since in running[:3])
        more = f" +{len(running) - 3}" if len(running) > 3 else ""
        doing = f" · running {shown}{more}" if running else ""
        elapsed = _clock(time.monotonic() - self.started)
        text = f"  [{self.done}/{self.total} steps]{doing} · {elapsed} elapsed"
        return text[: max(20, shutil.get_terminal_size().columns - 1)]


def _clock(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 60}m {seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"
