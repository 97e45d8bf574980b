"""How each drafted letter can be sent, and the ready-to-send files made beside its PDF.

A letter whose recipient has an email address (the poster's `email`, the school's legal advisers,
a platform's legal contact in data/platforms.yaml) gets an email draft with the PDF attached; a
letter to a platform reached by web form gets a text file with what to paste into each field of
the form, and the form's address. The police and a WhatsApp group's admin get neither: the
letter is posted or handed over (the plan and `letters due` say so).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from pipeline.case.model import Case, School
from pipeline.directory import platform_directory
from pipeline.kinds import Recipient
from pipeline.outbox import Attachment, FormField, covering_note, email_draft, webform_text
from pipeline.policy import PlannedLetter
from pipeline.words import dear


@dataclass(frozen=True)
class Dispatch:
    """Where a letter goes besides the post: an email address, or a platform's web form."""

    reference: str
    title: str
    subject: str
    to_name: str
    dear: str
    respond_by: date | None
    email: str | None = None
    form_url: str | None = None
    form_how: str | None = None
    fields: tuple[FormField, ...] = ()

    @property
    def how(self) -> str | None:
        return "email" if self.email else "webform" if self.form_how else None

    def outbox_name(self, docx_name: str) -> str:
        stem = docx_name.removesuffix(".docx")
        return f"{stem}-email.eml" if self.email else f"{stem}-webform.txt"

    def outbox_bytes(self, *, school: School, pdf_name: str, pdf: bytes, on: date) -> bytes:
        """The email draft (PDF attached) or the web form's text, as bytes."""
        if self.email:
            signatory = school.signatory
            body = covering_note(dear=self.dear, reference=self.reference, title=self.title,
                                 respond_by=self.respond_by, signatory=signatory.name,
                                 role=signatory.role, school=school.name,
                                 telephone=school.telephone)
            return email_draft(sender=(school.name, school.notices_email),
                               to=(self.to_name, self.email), subject=self.subject, body=body,
                               on=on, attachments=[Attachment(pdf_name, pdf)])
        text = webform_text(platform=self.to_name, form_url=self.form_url,
                            how=self.form_how or "", reference=self.reference,
                            fields=self.fields)
        return text.encode("utf-8")


def _strings(value: Any) -> list[str]:
    """Every piece of text inside a context value (lists and dicts walked)."""
    if isinstance(value, str):
        return [value] if value.strip() else []
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


def _form_fields(context: dict[str, Any], school: School) -> tuple[FormField, ...]:
    """What a platform's form asks for (REFERENCE.md: country, name, contact, each URL, the
    content, why it is unlawful or breaks the rules, a declaration), from the letter's own
    context, so the form says exactly what the letter says (pupils by initials included)."""
    posts = context.get("posts", [])
    takedown = context.get("takedown", {})
    why = _strings(takedown.get("rules")) + _strings(takedown.get("defamation")) + _strings(
        takedown.get("offences"))
    signatory = school.signatory
    fields = [
        FormField("Country", "United Kingdom (England)"),
        FormField("Your full name", signatory.name),
        FormField("Acting for", f"{school.name}, as its {signatory.role}"),
        FormField("Email address", school.notices_email),
        FormField("Postal address", ", ".join(school.address)),
        FormField("Web address(es) of the content", "\n".join(
            p.get("url") or "(no web address: a message in a group)" for p in posts)),
        FormField("The content (as posted)", "\n\n".join(
            f"{p['id']}: {p['text']}" for p in posts)),
        FormField("Why it should be removed", "\n".join(why) or context["letter"]["subject"]),
        FormField("Our reference", context["letter"]["reference"]),
        FormField("Declaration", "I declare that the information in this notice is true and "
                                 f"complete. {signatory.name}, {signatory.role}"),
    ]
    return tuple(fields)


def dispatch_for(letter: PlannedLetter, context: dict[str, Any], case: Case,
                 school: School) -> Dispatch | None:
    """How `letter` (rendered from `context`) can be sent, or None when only by post or hand."""
    kind = letter.spec
    reference = context["letter"]["reference"]
    subject = f"{context['letter']['subject']} (our reference {reference})"
    base = {"reference": reference, "title": kind.title, "subject": subject,
            "respond_by": letter.respond_by}
    if kind.to is Recipient.POSTER:
        if not case.poster.email:
            return None
        return Dispatch(**base, to_name=case.poster.name, dear=case.poster.dear,
                        email=case.poster.email)
    if kind.to is Recipient.ADVISERS:
        advisers = school.legal_advisers
        return Dispatch(**base, to_name=f"{advisers.name}, {advisers.firm}",
                        dear=dear(advisers.name), email=advisers.email)
    if kind.to is not Recipient.PLATFORM or context.get("takedown", {}).get("group_letter"):
        return None  # the police, and a group's admin: by post or by hand
    post = case.post(letter.posts[0])
    entry = platform_directory().entry(post.platform, post.platform_name)
    contact = entry.legal_contact
    if contact and contact.email:
        return Dispatch(**base, to_name=entry.operator, dear="Sir or Madam", email=contact.email)
    form = (contact.web_form if contact else None) or entry.abuse_report.url
    how = (contact.how if contact else None) or entry.abuse_report.how
    return Dispatch(**base, to_name=entry.label, dear="Sir or Madam", form_url=form,
                    form_how=how, fields=_form_fields(context, school))
