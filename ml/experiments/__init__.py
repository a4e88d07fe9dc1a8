"""A/B experiments over the tenant list machinery: configs, hash assignment, offline
comparison with bootstrap intervals, and CTR lift from exposure/click events.

Layer 6: variants are list recipes of ``ml.tenants.lists``.
"""
