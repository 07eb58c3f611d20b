"""Per-user daily quotas: how many of a thing one user may do in one day, counted atomically."""
