"""Email drafts and web-form texts: what a mail program or a form receives, byte-stable."""

from __future__ import annotations

import email
from datetime import date
from email import policy

from pipeline.outbox import (
    Attachment,
    FormField,
    WebForm,
    covering_note,
    email_draft,
    webform_text,
    webforms_text,
)

PDF = b"%PDF-1.7\n... a letter ...\n%%EOF\n"


def draft(**changes) -> bytes:
    options = dict(sender=("Bexton Primary School", "office@bexton.example.sch.uk"),
                   to=("Mr Darren Kettley", "darren.kettley@example.com"),
                   subject="Formal warning (our reference BPS-2026-014/01)",
                   body=covering_note(dear="Mr Kettley", reference="BPS-2026-014/01",
                                      title="warning letter", respond_by=date(2026, 12, 8),
                                      signatory="Mrs Helen Carter", role="Headteacher",
                                      school="Bexton Primary School", telephone="01565 000 123"),
                   on=date(2026, 12, 1), attachments=[Attachment("BPS-2026-014-01.pdf", PDF)])
    return email_draft(**(options | changes))


def test_a_mail_program_reads_the_recipient_subject_note_and_the_pdf():
    message = email.message_from_bytes(draft(), policy=policy.default)

    assert message["To"] == "Mr Darren Kettley <darren.kettley@example.com>"
    assert "BPS-2026-014/01" in message["Subject"]
    assert message["X-Unsent"] == "1"
    body = message.get_body(("plain",)).get_content()
    assert "8 December 2026" in body and "BPS-2026-014/01" in body
    [pdf] = list(message.iter_attachments())
    assert pdf.get_filename() == "BPS-2026-014-01.pdf"
    assert pdf.get_content() == PDF


def test_the_same_letter_gives_the_same_bytes():
    assert draft() == draft()
    assert draft() != draft(attachments=[Attachment("BPS-2026-014-01.pdf", PDF + b" ")])


def test_names_with_accents_and_commas_are_encoded_for_the_header():
    message = email.message_from_bytes(draft(to=("Zoë O'Brien, Jr", "zoe@example.org")),
                                       policy=policy.default)
    assert message["To"].addresses[0].display_name == "Zoë O'Brien, Jr"


def test_a_web_form_text_gives_the_address_and_each_field_verbatim():
    text = webform_text(platform="TikTok", form_url="https://www.tiktok.com/legal/report",
                        how="Report illegal content", reference="BPS-2026-025/02",
                        fields=[FormField("Content", 'He said "x" & <y>\nline two')])

    assert "https://www.tiktok.com/legal/report" in text
    assert 'He said "x" & <y>\nline two' in text
    assert "BPS-2026-025/02" in text


def test_a_letter_going_by_two_forms_gives_each_its_address_and_fields():
    text = webforms_text(platform="Facebook", reference="BPS-2026-030/02", forms=[
        WebForm("https://www.facebook.com/help/3894625317215414", "The defamation form.",
                (FormField("Why it should be removed", "P1 makes statements of fact"),),
                "defamation"),
        WebForm(None, "On the post, choose Report.",
                (FormField("Why it should be removed", "P1: it singles out Mr Hill"),),
                "Bullying and Harassment")])

    first, second = text.split("=== Form 2 of 2: Bullying and Harassment ===")
    assert "Web forms for Facebook (our reference BPS-2026-030/02)" in first
    assert "=== Form 1 of 2: defamation ===" in first
    assert "Where: https://www.facebook.com/help/3894625317215414" in first
    assert "P1 makes statements of fact" in first and "singles out" not in first
    assert "How: On the post, choose Report." in second and "P1: it singles out Mr Hill" in second


# --- made with the PDF copies, archived with them ---------------------------------------------


def test_draft_pdf_makes_an_email_draft_or_a_web_form_text_for_each_letter_that_can_have_one(
        tmp_path, repo, letters, invoke):
    import shutil

    import pytest

    if not shutil.which("soffice"):
        pytest.skip("LibreOffice is needed for PDF copies: run make system-deps")
    out = tmp_path / "out"
    case = repo / "data" / "cases" / "BPS-2026-014.yaml"

    result = letters("draft", case, "--out", out, "--date", "2026-12-01", "--pdf")

    assert result.exit_code == 0, result.output
    folder = out / "BPS-2026-014"
    warning = email.message_from_bytes((folder / "BPS-2026-014-01-warning-email.eml")
                                       .read_bytes(), policy=policy.default)
    assert warning["To"].addresses[0].addr_spec == "darren.kettley@example.com"
    [pdf] = list(warning.iter_attachments())
    assert pdf.get_content() == (folder / "BPS-2026-014-01-warning.pdf").read_bytes()
    form = (folder / "BPS-2026-014-02-host_takedown-facebook-webform.txt").read_text("utf-8")
    assert "https://www.facebook.com/darren.kettley.9/posts/1187654321098765" in form
    # The defamation goes by Facebook's defamation form, with the letter's reasons (never its
    # subject line) in "Why it should be removed".
    assert "Where: https://www.facebook.com/help/3894625317215414" in form
    why = form.split("--- Why it should be removed ---\n", 1)[1].split("\n---", 1)[0]
    assert why.startswith("P1 makes statements of fact about Mr P Hargreaves")
    assert "Notice of unlawful content" not in why
    assert (folder / "BPS-2026-014-03-legal_referral-email.eml").exists()
    manifest = (folder / "manifest.json").read_text("utf-8")
    assert manifest.count('"event": "outbox"') == 3
    verified = invoke("verify", out)
    assert verified.exit_code == 0 and "0 problems" in verified.stdout
