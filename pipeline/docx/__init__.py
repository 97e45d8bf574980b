"""Word documents: templates compiled and rendered in a sandbox under limits, and their packages."""
