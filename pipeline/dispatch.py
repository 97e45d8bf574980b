"""How each drafted letter can be sent, and the ready-to-send files made beside its PDF.

A letter whose recipient has an email address (the poster's `email`, the school's legal advisers,
a platform's legal contact in data/platforms.yaml, a WhatsApp group's admin whose email the case
records) gets an email draft with the PDF attached; a letter to a platform reached by web form
gets a text file with each form's address and what to paste into each of its fields. Which form
each ground goes by (a defamation form, or the platform's standard report for breaches of its
rules) is pipeline/takedown.channels, which the letter's address block reads too. The police get
neither: the letter is posted or handed over (the plan and `letters due` say so).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from pipeline.case.model import Case, School
from pipeline.kinds import Recipient
from pipeline.outbox import Attachment, FormField, WebForm, covering_note, email_draft, webforms_text
from pipeline.policy import PlannedLetter
from pipeline.takedown import (
    Channel,
    Reading,
    admin,
    admin_contact,
    channels,
    ground_words,
    read,
)
from pipeline.words import dear


@dataclass(frozen=True)
class Dispatch:
    """Where a letter goes besides the post: an email address, or a platform's web form(s)."""

    reference: str
    title: str
    subject: str
    to_name: str
    dear: str
    respond_by: date | None
    signatory: tuple[str, str]  # (name, role) as the letter is signed
    email: str | None = None
    forms: tuple[WebForm, ...] = ()
    # Sent from the mailbox the letter asks for a reply at: a platform's notice names the role
    # mailbox (notices_email); a parent, a group's admin and the advisers are asked to write to
    # the school office (email), so their email must not come from another address.
    from_notices: bool = False

    @property
    def how(self) -> str | None:
        return "email" if self.email else "webform" if self.forms else None

    @property
    def form_url(self) -> str | None:
        """The first form's address (the archive's record of where the letter went)."""
        return next((f.form_url for f in self.forms if f.form_url), None)

    @property
    def fields(self) -> tuple[FormField, ...]:
        """Every field of every form (checked for pupils' names before anything is written)."""
        return tuple(field for form in self.forms for field in form.fields)

    def outbox_name(self, docx_name: str) -> str:
        stem = docx_name.removesuffix(".docx")
        return f"{stem}-email.eml" if self.email else f"{stem}-webform.txt"

    def outbox_bytes(self, *, school: School, pdf_name: str, pdf: bytes, on: date) -> bytes:
        """The email draft (PDF attached) or the web form's text, as bytes."""
        if self.email:
            name, role = self.signatory
            body = covering_note(dear=self.dear, reference=self.reference, title=self.title,
                                 respond_by=self.respond_by, signatory=name, role=role,
                                 school=school.name, telephone=school.telephone)
            sender = school.notices_email if self.from_notices else school.email
            return email_draft(sender=(school.name, sender),
                               to=(self.to_name, self.email), subject=self.subject, body=body,
                               on=on, attachments=[Attachment(pdf_name, pdf)])
        text = webforms_text(platform=self.to_name, reference=self.reference, forms=self.forms)
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


def _why(channel: Channel, takedown: dict[str, Any], offences_here: bool) -> list[str]:
    """What the letter says of the grounds that go by `channel`, in the letter's own words."""
    why: list[str] = []
    if "defamation" in channel.grounds:
        why += _strings(takedown.get("defamation"))
        for notice in takedown.get("notices", []):
            why.append(notice["heading"])
            why += [f"{f['label']}: {f['text']}" for f in notice["fields"]]
    if "rules" in channel.grounds:
        for rule in takedown.get("rules", []):
            why.append(rule["name"] + (f" ({rule['url']})" if rule["url"] else "") + ":")
            why += rule["lines"]
    if offences_here:
        why += _strings(takedown.get("offences"))
    if "review" in channel.grounds:
        why += _strings(takedown.get("request"))
    return why


def _forms(context: dict[str, Any], reading: Reading) -> tuple[WebForm, ...]:
    """What each form the letter goes through asks for (REFERENCE.md: country, name, contact,
    each URL, the content, why it is unlawful or breaks the rules, a declaration), from the
    letter's own context, so the forms say exactly what the letter says (pupils by initials
    included, and signed as the letter is)."""
    posts = context.get("posts", [])
    takedown = context.get("takedown", {})
    signatory = context["signatory"]
    school = context["school"]
    found = [c for c in channels(reading) if c.form]
    # Possible offences go with unlawful content where a route takes it, else with the rules.
    home = next((c for c in found if "illegal_content" in c.grounds), None) or next(
        (c for c in found if not c.legal), None) or (found[0] if found else None)
    forms = []
    for channel in found:
        review = channel.grounds == ("review",)
        why = _why(channel, takedown, channel is home)
        fields = (
            FormField("Country", "United Kingdom (England)"),
            FormField("Your full name", signatory["name"]),
            FormField("Acting for", f"{school['name']}, as its {signatory['role']}"),
            FormField("Email address", school["notices_email"]),
            FormField("Postal address", ", ".join(school["address"])),
            FormField("Web address(es) of the content", "\n".join(
                p.get("url") or "(no web address: a message in a group)" for p in posts)),
            FormField("The content (as posted)", "\n\n".join(
                f"{p['id']}: {p['text']}" for p in posts)),
            FormField("What the school asks" if review else "Why it should be removed",
                      "\n".join(why)),
            FormField("Our reference", context["letter"]["reference"]),
            FormField("Declaration", "I declare that the information in this notice is true and "
                                     f"complete. {signatory['name']}, {signatory['role']}"),
        )
        forms.append(WebForm(channel.url, channel.how, fields, ground_words(channel, reading)))
    return tuple(forms)


def dispatch_for(letter: PlannedLetter, context: dict[str, Any], case: Case,
                 school: School) -> Dispatch | None:
    """How `letter` (rendered from `context`) can be sent, or None when only by post or hand."""
    kind = letter.spec
    reference = context["letter"]["reference"]
    subject = f"{context['letter']['subject']} (our reference {reference})"
    signed = context.get("signatory") or {"name": school.signatory.name,
                                          "role": school.signatory.role}
    base = {"reference": reference, "title": kind.title, "subject": subject,
            "respond_by": letter.respond_by, "signatory": (signed["name"], signed["role"])}
    if kind.to is Recipient.POSTER:
        if not case.poster.email:
            return None
        return Dispatch(**base, to_name=case.poster.name, dear=case.poster.dear,
                        email=case.poster.email)
    if kind.to is Recipient.ADVISERS:
        advisers = school.legal_advisers
        return Dispatch(**base, to_name=f"{advisers.name}, {advisers.firm}",
                        dear=dear(advisers.name), email=advisers.email)
    if kind.to is not Recipient.PLATFORM:
        return None  # the police: by post or by hand
    posts = [case.post(pid) for pid in letter.posts]
    if context.get("takedown", {}).get("group_letter"):
        # A group's admin: by email when the case records their address, else by post or hand.
        person = admin(case, posts[0])
        _, email = admin_contact(posts[0])
        if not (person and email):
            return None
        return Dispatch(**(base | {"title": "letter about a message in the group"}),
                        to_name=person, dear=dear(person), email=email)
    reading = read(case, posts)
    entry = reading.entry
    legal = next((c for c in channels(reading) if c.legal and c.email), None)
    if legal is not None:
        return Dispatch(**base, to_name=entry.operator, dear="Sir or Madam", email=legal.email,
                        from_notices=True)
    forms = _forms(context, reading)
    if not forms:
        return None
    return Dispatch(**base, to_name=entry.label, dear="Sir or Madam", forms=forms)
