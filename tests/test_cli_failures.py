"""Expected failures reach the user as one line and an exit code, never a traceback: a
PostgreSQL that will not start (with the reason from its log), a home copied without its
owners, a full disk, a home the user may not write; ``--debug`` shows the trace."""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import polars as pl
import pytest

from cli.main import main
from publish.postgres import PostgresUnavailable, embedded_url

CINE = [sys.executable, "-m", "cli.main"]


def _cine(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*CINE, *args], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def stopped_home(tmp_path_factory) -> Path:
    """A home whose embedded server was started once (initdb) and stopped again."""
    home = tmp_path_factory.mktemp("pg-home")
    assert _cine("db", "url", "--home", str(home)).returncode == 0
    assert _cine("db", "stop", "--home", str(home)).returncode == 0
    assert not (home / "postgres" / "data" / "postmaster.pid").exists()
    return home


@pytest.mark.skipif(os.geteuid() != 0, reason="the server runs as a separate user only as root")
def test_a_home_copied_without_its_owners_says_how_to_mend_it(stopped_home, tmp_path) -> None:
    copy = tmp_path / "copied"
    # What `cp -r` does: the files become the copier's (sockets are not copied).
    shutil.copytree(stopped_home, copy, ignore=shutil.ignore_patterns(".s.PGSQL.*"))
    done = _cine("db", "url", "--home", str(copy))
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert "cp -a" in lines[0] and "chown -R" in lines[0] and str(copy) in lines[0]


def test_a_server_that_will_not_start_names_the_reason_from_its_log(stopped_home, tmp_path) -> None:
    broken = tmp_path / "broken"
    subprocess.run(["cp", "-a", str(stopped_home), str(broken)], check=True)
    conf = broken / "postgres" / "data" / "postgresql.conf"
    conf.write_text(conf.read_text() + "\nshared_buffers = 'a lot'\n")
    done = _cine("db", "url", "--home", str(broken))
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert "will not start" in lines[0] and "FATAL" in lines[0], lines[0]
    assert "server log" in lines[0]
    with_trace = _cine("db", "url", "--home", str(broken), "--debug")
    assert "Traceback" in with_trace.stderr and "PostgresUnavailable" in with_trace.stderr


def test_a_full_disk_is_one_line(tmp_path, capsys) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system")
    train = tmp_path / "train.csv"
    pl.DataFrame(
        {"user_id": [1, 1, 2, 2, 3], "item_id": [1, 2, 2, 3, 1], "rating": [5.0] * 5}
    ).with_columns(timestamp=pl.lit(1)).write_csv(train)
    code = main(["recommend", "--train", str(train), "--k", "2", "--out", "/dev/full"])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1, err
    assert "no space left on the device" in err


def test_a_home_the_user_may_not_write_is_bad_input(capsys) -> None:
    # /proc refuses new folders even to root: a real unwritable place.
    code = main(["run", "--home", "/proc/cine-home", "--executor", "in_process"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1, err
    assert "/proc/cine-home" in err and "Traceback" not in err


def test_a_home_copied_while_its_server_runs_never_uses_the_original() -> None:
    # A short folder: a Unix socket path is limited to 107 bytes.
    root = Path(tempfile.mkdtemp(prefix="cine-cp-"))
    try:
        assert _cine("db", "url", "--home", str(root / "a")).returncode == 0
        subprocess.run(["cp", "-a", str(root / "a"), str(root / "b")], check=False)
        with pytest.raises(PostgresUnavailable, match="postmaster.pid"):
            embedded_url(root / "b" / "postgres" / "data")
    finally:
        _cine("db", "stop", "--home", str(root / "a"))
        shutil.rmtree(root, ignore_errors=True)


def _holder(pgdata: Path) -> subprocess.Popen:
    """A live process holding the server, as ``dagster dev`` or a running ``cine run`` does."""
    code = (
        "import sys, time; from publish.postgres import embedded_url; "
        f"embedded_url({str(pgdata)!r}); print('ready', flush=True); time.sleep(600)"
    )
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "ready"
    return holder


def _server_pid(pgdata: Path) -> int:
    return int((pgdata / "postmaster.pid").read_text().splitlines()[0])


def test_db_stop_with_a_killed_holder_and_with_a_live_one() -> None:
    import psutil

    root = Path(tempfile.mkdtemp(prefix="cine-st-"))
    home, pgdata = root / "h", root / "h" / "postgres" / "data"
    try:
        # A process killed while it held the server stays in the library's handle list;
        # `db stop` used to say "stopped" and leave the server running for ever.
        killed = _holder(pgdata)
        killed.kill()
        killed.wait()
        server = _server_pid(pgdata)
        done = _cine("db", "stop", "--home", str(home))
        assert done.returncode == 0 and "stopped" in done.stdout, done.stderr
        assert not psutil.pid_exists(server)

        # A live holder: refused in one line that names it, unless --force.
        live = _holder(pgdata)
        try:
            server = _server_pid(pgdata)
            done = _cine("db", "stop", "--home", str(home))
            assert done.returncode == 1 and done.stderr.count("\n") == 1, done.stderr
            assert f"pid {live.pid}" in done.stderr and "--force" in done.stderr
            assert psutil.pid_exists(server)
            done = _cine("db", "stop", "--force", "--home", str(home))
            assert done.returncode == 0 and "stopped" in done.stdout, done.stderr
            assert not psutil.pid_exists(server)
        finally:
            live.kill()
            live.wait()
        assert _cine("db", "stop", "--home", str(home)).stdout.strip() == (
            "embedded PostgreSQL was not running"
        )
    finally:
        _cine("db", "stop", "--force", "--home", str(home))
        shutil.rmtree(root, ignore_errors=True)
