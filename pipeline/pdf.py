"""PDF/A copies of letters through LibreOffice, all letters of a run in one process.

Starting LibreOffice costs far more than converting a letter once it runs. So every .docx of a
run is handed to a single `soffice --convert-to` call, with a private user profile (so it neither
meets a desktop LibreOffice the office has open nor another run) and a time limit that grows with
the number of letters.

The private profile is seeded with the version of LibreOffice installed. A profile that has never
recorded a version counts as "upgraded", and LibreOffice then runs its graphics self-test (about
100 drawing tests, 0.6 s here) before doing anything else. A headless LibreOffice never records
the version itself, so without the seed every run would pay for the self-test again.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from pipeline.errors import ToolMissing

# PDF/A-2b: SelectPdfVersion 2 in LibreOffice's PDF export filter.
PDF_FILTER = 'pdf:writer_pdf_Export:{"SelectPdfVersion":{"type":"long","value":"2"}}'
BASE_TIMEOUT_S = 90
PER_LETTER_TIMEOUT_S = 10


_PROFILE_SEED = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" \
xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Setup/Product"><prop oor:name="ooSetupLastVersion" oor:op="fuse">\
<value>{version}</value></prop></item>
</oor:items>
"""
_VERSION_PROP = re.compile(r'<prop oor:name="ooSetupVersion">\s*<value>(\d+\.\d+)</value>')


def installed_version(soffice: str) -> str | None:
    """LibreOffice's "major.minor" from its own registry (share/registry/main.xcd), if found."""
    program = Path(os.path.realpath(soffice)).parent
    for candidate in (program.parent / "share/registry/main.xcd",
                      program.parent / "Resources/registry/main.xcd"):  # the macOS layout
        try:
            with open(candidate, encoding="utf-8", errors="replace") as handle:
                found = _VERSION_PROP.search(handle.read())
        except OSError:
            continue
        if found:
            return found.group(1)
    return None


def seed_profile(profile: Path, soffice: str) -> None:
    """Mark a fresh profile as having run this LibreOffice already (see the module docstring).

    Without a version to write, the profile is left empty: conversions still work, only slower.
    """
    version = installed_version(soffice)
    if version is None:
        return
    user = profile / "user"
    user.mkdir(parents=True, exist_ok=True)
    (user / "registrymodifications.xcu").write_text(_PROFILE_SEED.format(version=version),
                                                    encoding="utf-8")


def soffice_path() -> str:
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    raise ToolMissing("PDF copies need LibreOffice, which is not installed here. Install it "
                      "with 'make system-deps' (or: sudo apt-get install libreoffice-writer-nogui"
                      "), or draft without --pdf.")


def convert(docx_files: Sequence[Path], out_dir: Path, timeout: float | None = None,
            profile: Path | None = None) -> list[Path]:
    """Convert every file in one LibreOffice process; returns the PDFs, in the same order.

    `profile` is the LibreOffice user profile to use (seeded if it is new); by default a private
    one is made for this run and removed after it. Two runs must never share a profile at once.
    """
    if not docx_files:
        return []
    soffice = soffice_path()
    out_dir.mkdir(parents=True, exist_ok=True)
    limit = timeout or BASE_TIMEOUT_S + PER_LETTER_TIMEOUT_S * len(docx_files)
    if profile is not None:
        result = _run(soffice, docx_files, out_dir, profile, limit)
    else:
        with tempfile.TemporaryDirectory(prefix="letters-lo-") as private:
            result = _run(soffice, docx_files, out_dir, Path(private), limit)
    pdfs = [out_dir / (p.stem + ".pdf") for p in docx_files]
    missing = [p for p in pdfs if not p.is_file()]
    if missing:
        detail = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no message"]
        raise ToolMissing(f"LibreOffice did not produce {len(missing)} of {len(pdfs)} PDF copies "
                          f"(first missing: {missing[0].name}; LibreOffice said: {detail[0]})")
    return pdfs


def _run(soffice: str, docx_files: Sequence[Path], out_dir: Path, profile: Path,
         limit: float) -> subprocess.CompletedProcess[str]:
    if not (profile / "user").exists():
        seed_profile(profile, soffice)
    command = [soffice, f"-env:UserInstallation={profile.resolve().as_uri()}", "--headless",
               "--norestore", "--nolockcheck", "--convert-to", PDF_FILTER,
               "--outdir", str(out_dir), *[str(p) for p in docx_files]]
    try:
        return subprocess.run(command, check=False, capture_output=True, text=True, timeout=limit,
                              env={**os.environ, "HOME": str(profile)}, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise ToolMissing(f"LibreOffice did not finish converting {len(docx_files)} letters "
                          f"within {limit:.0f} seconds; try again, or fewer at a time") from None
