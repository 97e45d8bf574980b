"""A case file: reading its YAML, the validated model, its dates."""
