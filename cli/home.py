"""The one home-folder rule of every ``cine`` command, and the lock one run holds on it."""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

from assets.resources import DEFAULT_HOME, HOME_ENV


def home_from(arg: str | None) -> str:
    """The home folder a command uses: ``--home``, else ``$CINE_HOME``, else the default.

    Read when a command runs, never at import.
    """
    return arg or os.environ.get(HOME_ENV) or DEFAULT_HOME


def home_path(arg: str | None) -> Path:
    """:func:`home_from`, absolute."""
    return Path(home_from(arg)).expanduser().resolve()


class HomeBusy(RuntimeError):
    """Another ``cine run`` holds the home folder."""


@contextlib.contextmanager
def run_lock(home: Path):
    """Hold ``<home>/.run.lock`` for one run; a second run on the same home refuses at once.

    An OS file lock (``flock``): released when the process ends, even when it is killed, so
    a crashed run never leaves the home locked.
    """
    home.mkdir(parents=True, exist_ok=True)
    path = home / ".run.lock"
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise HomeBusy(
                f"{home} is in use by another cine run ({holder}); wait for it to finish "
                "or use another --home"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        try:
            yield
        finally:
            handle.truncate(0)
            fcntl.flock(handle, fcntl.LOCK_UN)
