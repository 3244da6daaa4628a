"""Use cases. The only code that commits: one use case, one transaction."""
