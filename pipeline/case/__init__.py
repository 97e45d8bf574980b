"""A case file: reading its YAML, the validated model, and loading it with every problem located."""
