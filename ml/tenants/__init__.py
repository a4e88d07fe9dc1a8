"""White-label tenants: YAML configs, content filters and boosts, per-tenant lists.

Layer 5: above ``ml.hybrid``, whose scores and MMR every tenant starts from.
"""
