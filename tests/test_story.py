"""The office's story end to end: draft, sign, send and record, then let the days pass.

One case is drafted with PDF copies, its letters are marked sent with `letters sent` (one with a
signed PDF), and `--today` moves on: the plan, `letters due` and the register move with it, the
bundle carries the signed copy, and `letters verify` passes at every step.
"""

from __future__ import annotations

import csv
import json
import shutil
import zipfile

import pytest

CASE = "BPS-2026-014"

needs_libreoffice = pytest.mark.skipif(not shutil.which("soffice"),
                                       reason="PDF copies need LibreOffice: make system-deps")


class Office:
    def __init__(self, tmp_path, repo, letters, invoke):
        self.cases = tmp_path / "cases"
        shutil.copytree(repo / "data" / "cases", self.cases)
        self.case = self.cases / f"{CASE}.yaml"
        self.out = tmp_path / "out"
        self.tmp = tmp_path
        self.letters, self.invoke = letters, invoke

    def run(self, command: str, *args, code: int = 0):
        result = self.letters(command, *args)
        assert result.exit_code == code, result.output
        return result

    def plan(self, day: str) -> dict:
        return json.loads(self.run("plan", self.case, "--json", "--today", day).stdout)

    def due(self, day: str) -> list[dict]:
        result = self.run("due", self.case, "--out", self.out, "--today", day, "--json")
        return json.loads(result.stdout)["items"]

    def register(self, day: str) -> dict[str, dict[str, str]]:
        target = self.tmp / "register.csv"
        result = self.invoke("register", self.out, "--csv", target, "--cases", self.cases,
                             "--today", day)
        assert result.exit_code == 0, result.output
        with open(target, encoding="utf-8-sig", newline="") as handle:
            return {row["reference"]: row for row in csv.DictReader(handle)}

    def verified(self) -> None:
        result = self.invoke("verify", self.out)
        assert result.exit_code == 0, result.output
        assert " 0 problems" in result.stdout


def kinds(plan: dict) -> list[str]:
    return [letter["kind"] for letter in plan["letters"]]


@needs_libreoffice
def test_draft_sign_send_record_and_let_the_days_pass(tmp_path, repo, letters, invoke):
    office = Office(tmp_path, repo, letters, invoke)
    before = office.case.read_text(encoding="utf-8")

    # 1 December: the plan calls for a warning, a letter to Facebook and legal advice (the
    # Instagram post gives no ground to ask Instagram: the plan says why).
    assert kinds(office.plan("2026-12-01")) == ["warning", "host_takedown", "legal_referral"]
    office.run("draft", office.case, "--out", office.out, "--date", "2026-12-01", "--pdf")
    office.verified()
    folder = office.out / CASE
    warning_pdf = folder / f"{CASE}-01-warning.pdf"
    assert (folder / f"{CASE}-01-warning.docx").stat().st_mode & 0o777 == 0o444
    register = office.register("2026-12-01")
    assert {row["status"] for row in register.values()} == {"draft"}
    to_send = [i for i in office.due("2026-12-01") if i.get("reference")]
    assert {i["reference"] for i in to_send} == set(register)

    # 2 December: the Headteacher signs the warning and emails it; the platform letter goes
    # through Facebook's web form.
    signed = tmp_path / "signed warning.pdf"
    signed.write_bytes(warning_pdf.read_bytes() + b"\n% signed\n")
    office.run("sent", f"{CASE}/01", "--signed", signed, "--by", "email", "--out", office.out,
               "--today", "2026-12-02")
    office.run("sent", f"{CASE}/02", "--by", "webform", "--out", office.out,
               "--today", "2026-12-02")
    after = office.case.read_text(encoding="utf-8")
    assert after.startswith(before.rstrip("\n")) and after.count("reference:") == 2
    assert (folder / f"{CASE}-01-warning-signed.pdf").read_bytes() == signed.read_bytes()
    office.verified()

    plan = office.plan("2026-12-02")
    assert kinds(plan) == ["legal_referral"]  # the advice, drafted but not yet sent
    register = office.register("2026-12-02")
    assert (register[f"{CASE}/01"]["status"], register[f"{CASE}/01"]["sent by"]) == ("sent",
                                                                                      "email")
    assert register[f"{CASE}/01"]["respond by"] == "2026-12-09"
    assert register[f"{CASE}/02"]["status"] == "sent"
    assert register[f"{CASE}/03"]["status"] == "draft"
    due = office.due("2026-12-02")
    assert f"{CASE}/01" not in {i.get("reference") for i in due}

    # 7 December: Facebook had two working days (to the 4th) and has not acted.
    due = office.due("2026-12-07")
    assert "escalate_to_posh" in {i.get("action") for i in due}
    assert office.register("2026-12-07")[f"{CASE}/02"]["status"] == "overdue"

    # 10 December: the warning had no reply by the 9th; the office is asked to record it.
    due = office.due("2026-12-10")
    late = [i for i in due if i.get("action") == "record_outcome"]
    assert late and max(i["overdue_days"] for i in late) >= 1
    assert office.register("2026-12-10")[f"{CASE}/01"]["status"] == "overdue"

    # The advisers' bundle carries the signed copy; the archive still proves itself.
    bundle = tmp_path / "bundle.zip"
    office.run("bundle", office.case, "--archive", office.out, "--out", bundle,
               "--date", "2026-12-10")
    assert f"letters/{CASE}-01-warning-signed.pdf" in zipfile.ZipFile(bundle).namelist()
    office.verified()
