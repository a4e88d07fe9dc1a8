"""The expected failures of every ``cine`` command, each as one line and an exit code.

Exit 2: bad usage or input (a missing or unreadable file, a folder the user may not write).
Exit 1: the command could not do its work (PostgreSQL will not start, the disk is full, a
corrupt index). Anything unexpected is also one line, with a pointer to ``--debug`` for the
stack trace; ``--debug`` re-raises so the trace is shown.
"""

from __future__ import annotations

import errno
import os

USAGE, FAILED = 2, 1


def _owner(path: str) -> str:
    try:
        import pwd

        return pwd.getpwuid(os.stat(path).st_uid).pw_name
    except (OSError, KeyError, ImportError):
        return "another user"


def _says(error: BaseException, code: int) -> bool:
    """Whether a library error wraps OS error ``code`` (polars: "(os error 28)")."""
    text = str(error)
    return f"(os error {code})" in text or os.strerror(code) in text


def explain(error: BaseException) -> tuple[int, str]:
    """The exit code and the one line a user sees for ``error``."""
    from publish.postgres import PostgresUnavailable

    if isinstance(error, PostgresUnavailable):
        return FAILED, str(error)
    # polars and pyarrow report OS errors inside their own exception types.
    if (isinstance(error, OSError) and error.errno == errno.ENOSPC) or _says(error, 28):
        where = f" writing {error.filename}" if getattr(error, "filename", None) else ""
        return FAILED, f"no space left on the device{where}; free some space and run again"
    if isinstance(error, PermissionError):
        path = error.filename or "a file"
        return USAGE, (
            f"permission denied: {path} (owned by {_owner(path)}); use a home folder you own "
            "(--home or $CINE_HOME), or fix its ownership"
        )
    if isinstance(error, FileNotFoundError):
        return USAGE, f"no such file or folder: {error.filename or error}"
    if isinstance(error, IsADirectoryError | NotADirectoryError):
        return USAGE, f"{error.strerror}: {error.filename}"
    name = type(error).__name__
    message = " ".join(str(error).split()) or "no message"
    return FAILED, f"{name}: {message} (run with --debug for the stack trace)"
