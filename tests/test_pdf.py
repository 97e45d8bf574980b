"""The PDF copy (`letters draft --pdf`) shows a hostile post as the .docx does.

A real-client test: LibreOffice converts the letter and poppler's `pdftotext` reads the PDF back,
so the test proves what a reader of the PDF sees. It is skipped only when those programs are
missing (`make system-deps` installs them). One letter, one LibreOffice run: `pipeline.pdf`
bounds each run with its own time limit (60 s plus 3 s a letter) and `pdftotext` gets 60 s.
The script that installs those programs and the fonts is tested here too, against stand-ins.
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


def test_the_emoji_in_a_letter_is_drawn_in_a_font_libreoffice_can_draw(tmp_path, write_case,
                                                                       hostile_case_text, draft):
    # LibreOffice 7.4 embeds Noto Color Emoji but draws nothing with it: the emoji would be blank
    # in the PDF though present in its text. The run's fontconfig file hides colour-emoji fonts,
    # so LibreOffice falls back to Symbola (which the system-dependency script installs).
    for tool in ("soffice", "pdffonts", "fc-list"):
        if not shutil.which(tool):
            pytest.skip(f"{tool} not installed: run make system-deps")
    fonts = subprocess.run(["fc-list", ":family=Symbola"], capture_output=True, text=True,
                           timeout=60).stdout
    if not fonts.strip():
        pytest.skip("fonts-symbola not installed: run make system-deps")
    out = tmp_path / "out"

    assert draft(write_case(tmp_path, hostile_case_text), out, "--pdf").exit_code == 0

    listed = subprocess.run(["pdffonts", str(out / "T-001" / "T-001-01-concern.pdf")],
                            capture_output=True, text=True, check=True, timeout=60).stdout
    assert "Symbola" in listed
    assert "ColorEmoji" not in listed


def test_the_fonts_file_keeps_the_systems_fonts_and_hides_colour_emoji(tmp_path, monkeypatch):
    monkeypatch.delenv("FONTCONFIG_FILE", raising=False)
    written = pdf.fonts_config(tmp_path / "profile").read_text(encoding="utf-8")
    assert '<include ignore_missing="yes">/etc/fonts/fonts.conf</include>' in written
    assert "<rejectfont><glob>*/NotoColorEmoji*</glob>" in written

    monkeypatch.setenv("FONTCONFIG_FILE", "/opt/fonts & more/<own>.conf")
    own = pdf.fonts_config(tmp_path / "other").read_text(encoding="utf-8")
    assert "<include ignore_missing=\"yes\">/opt/fonts &amp; more/&lt;own&gt;.conf</include>" in own


# --- scripts/install-system-deps.sh, run against stand-ins for dpkg-query, apt-get and id ------

_STUBS = {
    "dpkg-query": '#!/bin/sh\nfor last; do :; done\nwhile read -r name; do\n'
                  '  [ "$name" = "$last" ] && { printf "install ok installed"; exit 0; }\n'
                  'done < "$FAKE_DPKG"\nexit 1\n',
    "apt-get": '#!/bin/sh\necho "$*" >> "$FAKE_LOG"\nif [ "$1" = install ]; then\n'
               '  for a; do case $a in -*|install) ;; *) echo "$a" >> "$FAKE_DPKG";; esac; done\n'
               'fi\n',
    "id": '#!/bin/sh\necho "$FAKE_UID"\n',
}
ALL_PACKAGES = ["libreoffice-writer-nogui", "poppler-utils", "fonts-liberation2",
                "fonts-dejavu-core", "fonts-noto-core", "fonts-symbola"]


def _install_deps(tmp_path, repo, installed, *, apt=True, uid=0):
    """Run the script with only the stand-ins (and `env`) on PATH; returns (result, apt log)."""
    bin_dir = tmp_path / "bin"
    if not bin_dir.exists():
        bin_dir.mkdir(parents=True)
        for name, text in _STUBS.items():
            (bin_dir / name).write_text(text)
            (bin_dir / name).chmod(0o755)
        (bin_dir / "env").symlink_to(shutil.which("env"))
        (tmp_path / "dpkg").write_text("".join(f"{p}\n" for p in installed))
    if not apt:
        (bin_dir / "apt-get").unlink(missing_ok=True)
    log = tmp_path / "apt.log"
    env = {"PATH": str(bin_dir), "FAKE_DPKG": str(tmp_path / "dpkg"), "FAKE_LOG": str(log),
           "FAKE_UID": str(uid)}
    result = subprocess.run(["/bin/bash", str(repo / "scripts" / "install-system-deps.sh")],
                            capture_output=True, text=True, env=env, timeout=60)
    return result, (log.read_text().splitlines() if log.exists() else [])


def test_the_script_installs_the_emoji_font_when_libreoffice_is_already_there(tmp_path, repo):
    result, apt = _install_deps(tmp_path, repo, ALL_PACKAGES[:4])

    assert result.returncode == 0, result.stderr
    assert apt == ["update -qq", "install -y -qq --no-install-recommends fonts-noto-core "
                                 "fonts-symbola"]
    assert "fonts-symbola" in result.stdout

    again, apt_again = _install_deps(tmp_path, repo, [])

    assert again.returncode == 0 and again.stdout == again.stderr == ""
    assert apt_again == apt, "nothing more installed once everything is there"


def test_the_script_says_what_to_install_when_it_cannot(tmp_path, repo):
    no_apt, apt = _install_deps(tmp_path / "a", repo, ALL_PACKAGES[:-1], apt=False)
    no_sudo, apt_too = _install_deps(tmp_path / "b", repo, ALL_PACKAGES[:-1], uid=1000)

    assert no_apt.returncode == 0 and "apt-get not found" in no_apt.stderr
    assert "fonts-symbola" in no_apt.stderr
    assert no_sudo.returncode == 0 and "not root and no sudo" in no_sudo.stderr
    assert "sudo apt-get install fonts-symbola" in no_sudo.stderr
    assert apt == apt_too == []
