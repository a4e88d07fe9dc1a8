"""The multiprocess executor's sizing: processes per core, threads per process, and a run
config that Dagster's own executor accepts."""

import dagster as dg

from pipelines import executors
from pipelines.definitions import build_definitions, job_for


def test_concurrency_and_threads_never_oversubscribe_the_cores() -> None:
    for cores in (1, 2, 3, 8, 64):
        steps = executors.default_concurrency(cores)
        assert 1 <= steps <= min(cores, 4)
        assert steps * executors.threads_per_step(steps, cores) <= cores
        if executors.default_executor(cores) == "multiprocess":
            assert executors.threads_per_step(steps, cores) >= 2


def test_small_machines_run_in_process_by_default() -> None:
    assert executors.default_executor(2) == "in_process"
    assert executors.default_executor(8) == "multiprocess"


def test_a_thread_setting_of_the_user_is_kept(monkeypatch) -> None:
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    monkeypatch.delenv("MKL_NUM_THREADS", raising=False)
    env = executors.thread_environment(2, available=2)
    assert env["OMP_NUM_THREADS"] == "3" and env["MKL_NUM_THREADS"] == "1"


def test_the_run_config_validates_against_the_main_job(tmp_path) -> None:
    job = build_definitions(home=str(tmp_path)).resolve_job_def("cine")
    config = {"execution": executors.multiprocess_run_config(2)}
    resolved = dg.validate_run_config(job, config)["execution"]
    multiprocess = resolved["multi_or_in_process_executor"]["multiprocess"]
    assert multiprocess["max_concurrent"] == 2
    assert "pipelines.preload" in multiprocess["start_method"]["forkserver"]["preload_modules"]


def test_every_step_process_rebuilds_the_same_job(tmp_path) -> None:
    job = job_for(str(tmp_path), "cine")
    direct = build_definitions(home=str(tmp_path)).resolve_job_def("cine")
    assert job.name == "cine"
    assert set(job.asset_layer.executable_asset_keys) == set(
        direct.asset_layer.executable_asset_keys
    )
    reconstructable = dg.build_reconstructable_job(
        "pipelines.definitions", "job_for", reconstructable_args=(str(tmp_path), "cine")
    )
    assert reconstructable.get_definition().name == "cine"
