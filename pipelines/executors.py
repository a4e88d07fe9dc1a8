"""How a run's steps are executed: Dagster's multiprocess executor, sized to the machine.

Steps that do not depend on each other run in parallel processes; each process gets its
share of the cores for BLAS/OpenMP/torch threads, so two processes on two cores never run
four busy threads. Step processes are forked from a forkserver that has already imported
the definitions and torch, so a step starts in about a second instead of re-importing the
stack. Production uses Dagster's own k8s or celery executors instead (docs/deployment.md):
``CINE_EXECUTOR=k8s`` or ``celery`` makes it the executor of every job (:func:`from_env`).
"""

from __future__ import annotations

import os

#: The modules every step process needs, imported once by the forkserver.
PRELOAD = ["torch", "pipelines.preload"]
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def cores() -> int:
    """The cores this process may use (its CPU affinity, else the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


#: Below this many cores the default run is in-process: measured on 2 cores (2026-12-02),
#: the multiprocess run took 1,129 s against 593 s in-process, because its two longest steps
#: (the sentiment fine-tune and the MiniLM encoding) ran side by side with one thread each.
MULTIPROCESS_FROM_CORES = 4


def default_executor(available: int | None = None) -> str:
    """``multiprocess`` on a machine with at least MULTIPROCESS_FROM_CORES cores, else
    ``in_process``: parallel steps pay only when each still gets two or more threads."""
    n = available if available is not None else cores()
    return "multiprocess" if n >= MULTIPROCESS_FROM_CORES else "in_process"


def default_concurrency(available: int | None = None) -> int:
    """Parallel step processes: half the cores (each step keeps two threads), at most 4
    (each can hold a model in memory)."""
    return max(1, min(4, (available if available is not None else cores()) // 2))


def threads_per_step(max_concurrent: int, available: int | None = None) -> int:
    return max(1, (available if available is not None else cores()) // max_concurrent)


def multiprocess_run_config(max_concurrent: int) -> dict:
    """The ``execution`` section of a run config for the multiprocess executor."""
    return {
        "config": {
            "multiprocess": {
                "max_concurrent": max_concurrent,
                "start_method": {"forkserver": {"preload_modules": PRELOAD}},
            }
        }
    }


def thread_environment(max_concurrent: int, available: int | None = None) -> dict[str, str]:
    """Environment for the step processes: BLAS and torch threads per process.

    A variable the user already set is kept: that is their choice for the machine.
    """
    threads = str(threads_per_step(max_concurrent, available))
    return {name: os.environ.get(name, threads) for name in THREAD_VARIABLES}


#: Chooses the executor of every job in the definitions (``dagster dev``, the daemon).
EXECUTOR_ENV = "CINE_EXECUTOR"
#: Value of EXECUTOR_ENV -> (module, executor definition); the k8s and celery ones come with
#: the ``production`` extra (``pip install -e '.[production]'``).
EXECUTORS = {
    "multiprocess": ("dagster", "multiprocess_executor"),
    "in_process": ("dagster", "in_process_executor"),
    "k8s": ("dagster_k8s", "k8s_job_executor"),
    "celery": ("dagster_celery", "celery_executor"),
}


def from_env(environ: dict | None = None):
    """The executor definition ``CINE_EXECUTOR`` names; None (Dagster's default, the
    multiprocess executor) when it is unset. A name that is not one, or whose package is
    not installed, is a ValueError naming the variable and the fix."""
    import importlib

    name = (environ if environ is not None else os.environ).get(EXECUTOR_ENV, "").strip()
    if not name:
        return None
    if name not in EXECUTORS:
        raise ValueError(f"{EXECUTOR_ENV}={name!r}: use one of {', '.join(EXECUTORS)}")
    module, attribute = EXECUTORS[name]
    try:
        return getattr(importlib.import_module(module), attribute)
    except ImportError as error:
        raise ValueError(
            f"{EXECUTOR_ENV}={name}: {module} is not installed; pip install -e '.[production]'"
        ) from error
