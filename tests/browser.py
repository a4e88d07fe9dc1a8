"""Headless Chromium (Debian's ``chromium``) for the tests that open our HTML as a reader
would. Required on CI (``.ci/run`` installs it); elsewhere the test is skipped with a reason."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or (
    "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
)


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """Run headless Chromium with ``args`` (``--dump-dom URL``, ``--screenshot=…``)."""
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is required on CI (.ci/run installs it); it is missing")
        pytest.skip(
            "chromium is not installed (apt-get install -y chromium); browser check skipped"
        )
    profile = tmp_path / "chromium-profile"
    profile.mkdir(exist_ok=True)
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
    ]
    return subprocess.run(
        [CHROMIUM, *flags, *args], capture_output=True, text=True, timeout=120, check=True
    )
