"""Word documents: templates compiled and rendered in a sandbox, and their packages."""
