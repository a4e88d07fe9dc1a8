"""The documented production configuration (docs/production/) is valid for the Dagster,
dagster-k8s and dagster-celery installed here, checked against their own schemas; and
``CINE_EXECUTOR`` puts their executors on every job."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import pytest
import yaml
from dagster._config import process_config
from dagster._core.instance.config import dagster_instance_config

from pipelines import executors
from pipelines.definitions import build_definitions
from pipelines.jobs import MAIN_JOB

PRODUCTION = Path(__file__).resolve().parents[1] / "docs" / "production"
ENV = {
    "CINE_DAGSTER_PG_URL": "postgresql+psycopg2://dagster:secret@db.internal:5432/dagster",
    "CINE_IMAGE": "registry.internal/cineaesthete:1.0",
    "CINE_CELERY_BROKER": "pyamqp://guest@rabbitmq.internal//",
    "CINE_CELERY_BACKEND": "rpc://",
}


@pytest.fixture
def env(monkeypatch):
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)


def _class_config(section: dict) -> None:
    """Validate a ``module/class/config`` section against that class's own config schema."""
    import importlib

    cls = getattr(importlib.import_module(section["module"]), section["class"])
    result = process_config(cls.config_type(), section.get("config", {}))
    assert result.success, [e.message for e in result.errors]


def test_the_k8s_instance_config_is_valid(env, tmp_path: Path) -> None:
    shutil.copy(PRODUCTION / "dagster.yaml", tmp_path / "dagster.yaml")
    config, _ = dagster_instance_config(str(tmp_path))  # raises on a schema error
    assert config["run_launcher"]["class"] == "K8sRunLauncher"
    assert config["run_monitoring"]["enabled"] is True
    _class_config(config["run_launcher"])
    _class_config(config["run_coordinator"])


def test_a_broken_instance_config_is_caught(env, tmp_path: Path) -> None:
    broken = yaml.safe_load((PRODUCTION / "dagster.yaml").read_text())
    broken["run_launcher"]["config"]["job_namespace"] = ["not", "a", "string"]
    import importlib

    section = broken["run_launcher"]
    cls = getattr(importlib.import_module(section["module"]), section["class"])
    assert not process_config(cls.config_type(), section["config"]).success


@pytest.mark.parametrize(
    ("kind", "run_config", "executor_name"),
    [("k8s", "k8s_run_config.yaml", "k8s"), ("celery", "celery_run_config.yaml", "celery")],
)
def test_the_nightly_job_takes_the_documented_run_config(
    env, monkeypatch, kind, run_config, executor_name
) -> None:
    monkeypatch.setenv(executors.EXECUTOR_ENV, kind)
    job = build_definitions(home="/cine/home").resolve_job_def(MAIN_JOB)
    assert job.executor_def.name == executor_name
    config = yaml.safe_load((PRODUCTION / run_config).read_text())
    dg.validate_run_config(job, config)
    config["execution"]["config"]["retries"] = "always"
    with pytest.raises(dg.DagsterInvalidConfigError):
        dg.validate_run_config(job, config)


def test_an_unknown_executor_names_the_variable(monkeypatch) -> None:
    monkeypatch.setenv(executors.EXECUTOR_ENV, "kubernetes")
    with pytest.raises(ValueError, match="CINE_EXECUTOR='kubernetes': use one of"):
        build_definitions(home="/tmp/h")
    assert executors.from_env({}) is None
    assert executors.from_env({executors.EXECUTOR_ENV: "in_process"}) is dg.in_process_executor
