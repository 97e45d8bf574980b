"""The PDF copy (`letters draft --pdf`) shows a hostile post as the .docx does.

A real-client test: LibreOffice converts the letter and poppler's `pdftotext` reads the PDF back,
so the test proves what a reader of the PDF sees. It is skipped only when those programs are
missing (`make system-deps` installs them). One letter, one LibreOffice run: `pipeline.pdf`
bounds the run with its own time limit (90 s plus 10 s a letter) and `pdftotext` gets 60 s.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from pipeline import pdf


def test_pdf_copy_shows_the_hostile_post_intact(tmp_path, write_case, hostile_case_text, draft):
    if not (shutil.which("soffice") or shutil.which("libreoffice")):
        pytest.skip("LibreOffice not installed: run make system-deps")
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) not installed: run make system-deps")
    out = tmp_path / "out"

    result = draft(write_case(tmp_path, hostile_case_text), out, "--pdf")

    assert result.exit_code == 0, result.output
    pdf = out / "T-001" / "T-001-01-concern.pdf"
    assert pdf.read_bytes().startswith(b"%PDF-")
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True,
                          text=True, check=True, timeout=60).stdout
    assert "Fish & chips < cake > \"soup\" 'tea' &amp; more" in text
    assert "Hello {{ school.name }}, {% if x %}yes{% endif %} {# note #}" in text
    assert "{%p if y %} a paragraph tag {%tr endfor %} end}} %}" in text
    assert "\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0645\u062f\u0631\u0633\u0629" in text
    assert "indented line" in text
    assert "{_{ docxtpl escape }_} last line" in text
    assert "Hello Bexton Primary School" not in text
    assert "Dear Mrs Doe" in text and "1 December 2026" in text


def _fake_install(root, registry_text):
    program = root / "program"
    program.mkdir(parents=True)
    (program / "soffice").write_text("#!/bin/sh\n")
    registry = root / "share" / "registry"
    registry.mkdir(parents=True)
    (registry / "main.xcd").write_text(registry_text, encoding="utf-8")
    return str(program / "soffice")


def test_the_profile_is_seeded_with_the_installed_version(tmp_path):
    soffice = _fake_install(tmp_path / "lo", '<oor:component-data><prop oor:name="ooSetupVersion">\n'
                                              '  <value>24.8</value>\n</prop></oor:component-data>')

    pdf.seed_profile(tmp_path / "profile", soffice)

    seeded = (tmp_path / "profile" / "user" / "registrymodifications.xcu").read_text(encoding="utf-8")
    assert '<prop oor:name="ooSetupLastVersion" oor:op="fuse"><value>24.8</value></prop>' in seeded
    assert pdf.installed_version(soffice) == "24.8"


def test_without_a_known_version_the_profile_is_left_to_libreoffice(tmp_path):
    soffice = _fake_install(tmp_path / "lo", "<oor:component-data/>")

    pdf.seed_profile(tmp_path / "profile", soffice)

    assert pdf.installed_version(soffice) is None
    assert not (tmp_path / "profile").exists()


def test_a_seeded_profile_skips_libreoffices_graphics_self_test(tmp_path, write_case, base_case, draft):
    if not (shutil.which("soffice") or shutil.which("libreoffice")):
        pytest.skip("LibreOffice not installed: run make system-deps")
    out = tmp_path / "out"
    assert draft(write_case(tmp_path, base_case), out).exit_code == 0
    letter = out / "T-001" / "T-001-01-concern.docx"
    unseeded, seeded = tmp_path / "unseeded", tmp_path / "seeded"
    (unseeded / "user").mkdir(parents=True)  # an existing profile is used as it is

    pdf.convert([letter], tmp_path / "pdf-unseeded", profile=unseeded)
    pdf.convert([letter], tmp_path / "pdf-seeded", profile=seeded)

    if not (unseeded / "user" / "GraphicsRenderTests.log").exists():
        pytest.skip("this LibreOffice does not run its graphics self-test on a new profile")
    assert not (seeded / "user" / "GraphicsRenderTests.log").exists()
    assert (tmp_path / "pdf-seeded" / "T-001-01-concern.pdf").read_bytes().startswith(b"%PDF-")
