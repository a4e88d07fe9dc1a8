"""The one home-folder rule of every ``cine`` command."""

from __future__ import annotations

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
