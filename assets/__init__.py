"""Thin Dagster assets, one module per domain, with their checks beside them.

``<domain>.py`` holds the assets, ``<domain>_checks.py`` their checks (``checking`` turns a
``quality`` result into a check); ``resources`` is the leaf every asset and check takes
typed resources from.
"""
