"""The archive: atomic writes, one lock per case, the typed manifest, verification."""
