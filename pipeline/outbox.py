"""Letters ready to send: an email draft (.eml) with the PDF attached, or the text for a web form.

A letter whose recipient has an email address (the poster's `email`, the school's legal
advisers, a platform's legal contact in data/platforms.yaml) gets an email draft that any mail
program opens ready to send: To, Subject with the letter's reference, a short covering note, and
the signed-off PDF attached. It is marked as unsent (`X-Unsent: 1`), which Outlook and most mail
programs read as "open in the compose window". A platform reached by web form gets a plain-text
file holding the form's address and the text to paste into each of its fields.

Both are built from values only (no clock): the same letter gives the same bytes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

from pipeline.dates import UK, long_date


@dataclass(frozen=True)
class Attachment:
    name: str
    data: bytes
    mime: str = "application/pdf"


def email_draft(*, sender: tuple[str, str], to: tuple[str, str], subject: str, body: str,
                on: date, attachments: Sequence[Attachment] = ()) -> bytes:
    """An RFC 5322 message (CRLF line endings) with the attachments, as bytes."""
    message = EmailMessage(policy=SMTP)
    message["From"] = Address(display_name=sender[0], addr_spec=sender[1])
    message["To"] = Address(display_name=to[0], addr_spec=to[1])
    message["Subject"] = subject
    # Nine in the morning, UK time, on the letter's date: a draft carries the letter's date, not
    # the moment it was made, so the same letter gives the same bytes.
    message["Date"] = format_datetime(datetime.combine(on, time(9, 0), tzinfo=UK))
    message["X-Unsent"] = "1"
    message.set_content(body)
    digest = hashlib.sha256(body.encode("utf-8"))
    for item in attachments:
        maintype, subtype = item.mime.split("/", 1)
        message.add_attachment(item.data, maintype=maintype, subtype=subtype,
                               filename=item.name)
        digest.update(item.data)
    if attachments:  # the part boundary from the content, not a random number
        message.set_boundary(f"=_letter_{digest.hexdigest()[:32]}")
    return bytes(message)


def covering_note(*, dear: str, reference: str, title: str, respond_by: date | None,
                  signatory: str, role: str, school: str, telephone: str) -> str:
    """The few lines an email carries above the attached letter."""
    ask = (f" I should be grateful for your reply by {long_date(respond_by)}."
           if respond_by else "")
    return (f"Dear {dear}\n\n"
            f"Please find attached our {title} (our reference {reference}).{ask}\n\n"
            f"If you cannot open the attachment, please telephone the school office on "
            f"{telephone}.\n\n"
            f"Yours sincerely\n\n{signatory}\n{role}\n{school}\n")


@dataclass(frozen=True)
class FormField:
    label: str
    value: str


@dataclass(frozen=True)
class WebForm:
    """One form a letter goes through, what it is for, and what to paste into each field."""

    form_url: str | None
    how: str
    fields: tuple[FormField, ...]
    purpose: str = ""  # e.g. "defamation"; said when a letter goes through two forms


def webform_text(*, platform: str, form_url: str | None, how: str, reference: str,
                 fields: Sequence[FormField]) -> str:
    """The text to paste into a platform's web form, field by field."""
    return webforms_text(platform=platform, reference=reference,
                         forms=[WebForm(form_url, how, tuple(fields))])


def webforms_text(*, platform: str, reference: str, forms: Sequence[WebForm]) -> str:
    """The text to paste into a platform's forms, form by form and field by field: a letter
    whose grounds go by two routes (a defamation form, and the standard report for breaches of
    the platform's rules) has a part for each."""
    several = len(forms) > 1
    lines = [f"Web form{'s' if several else ''} for {platform} (our reference {reference})", ""]
    if several:
        lines += [f"This letter goes through {len(forms)} forms, one for each kind of ground; "
                  "fill in each.", ""]
    for n, form in enumerate(forms, 1):
        if several:
            lines += [f"=== Form {n} of {len(forms)}: {form.purpose} ===", ""]
        lines.append(f"Where: {form.form_url}" if form.form_url else "Where: see below (no form "
                     "address is recorded in data/platforms.yaml)")
        lines += ["", f"How: {form.how}", "",
                  "Paste each field below into the form as it asks for it.",
                  "Keep this file with the letter: it is what the school sent.", ""]
        for field in form.fields:
            lines.append(f"--- {field.label} ---")
            lines.append(field.value.rstrip("\n"))
            lines.append("")
    return "\n".join(lines)
