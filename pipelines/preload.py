"""Imported once by the multiprocess executor's forkserver (``pipelines.executors.PRELOAD``):
every asset module and what it imports, so each forked step process starts with the whole
stack in memory instead of importing it again (measured on 2 busy cores: the asset modules
22 s, great-expectations 25 s, evidently 38 s, timm 27 s, transformers 8 s per process).
Importing this module builds no definitions and reads no configuration. LanceDB is left to
the steps that use it: its native runtime should not be forked.
"""

from __future__ import annotations

import importlib
import pkgutil

import assets
import pipelines.definitions  # noqa: F401  (the reconstructor every step process calls)

#: Libraries the asset modules import only inside the steps that need them.
HEAVY = ("great_expectations", "evidently", "transformers", "sklearn", "implicit", "timm")

for _module in pkgutil.iter_modules(assets.__path__, f"{assets.__name__}."):
    importlib.import_module(_module.name)
for _library in HEAVY:
    importlib.import_module(_library)
