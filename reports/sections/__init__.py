"""Extra report sections, built from a run's tables; ``reports/`` only lays them out."""
