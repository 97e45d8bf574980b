"""Bexton correspondence pipeline: case file -> plan -> letters -> archive."""

__version__ = "0.1.0"
