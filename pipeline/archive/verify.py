"""Checking the archive: every file each manifest lists is there, with the SHA-256 recorded."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.archive.manifest import MANIFEST, Manifest
from pipeline.archive.store import sha256_file
from pipeline.errors import ArchiveError


@dataclass
class Finding:
    path: Path
    problem: str

    def __str__(self) -> str:
        return f"{self.path}: {self.problem}"


def verify_folder(folder: Path) -> tuple[int, list[Finding]]:
    """Recompute the hashes one case folder's manifest records: (files checked, problems)."""
    try:
        manifest = Manifest.read(folder, folder.name)
    except ArchiveError as exc:
        return 0, [Finding(folder / MANIFEST, str(exc))]
    findings: list[Finding] = []
    checked = 0
    for entry in [*manifest.letters(), *manifest.pdfs()]:
        for kind, name in entry.files.items():
            expected = getattr(entry.sha256, kind)
            path = folder / name
            checked += 1
            if not path.is_file():
                findings.append(Finding(path, f"missing (recorded for {entry.reference})"))
            elif sha256_file(path) != expected:
                findings.append(Finding(path, "altered since it was written (SHA-256 does not "
                                              f"match the manifest for {entry.reference})"))
    return checked, findings


def verify(out_dir: Path) -> tuple[int, list[Finding]]:
    """Recompute every file hash in every manifest under `out_dir`: (files checked, problems)."""
    if not out_dir.is_dir():
        raise ArchiveError(f"{out_dir}: no such folder; name the folder letters were drafted "
                           "into (default: output)")
    checked, findings = 0, []
    for manifest_path in sorted(out_dir.glob(f"*/{MANIFEST}")):
        count, found = verify_folder(manifest_path.parent)
        checked += count
        findings += found
    return checked, findings
