#!/usr/bin/env python3
"""Build the six letter templates in letter_templates/ (docxtpl templates made with python-docx).

    .venv/bin/python tools/make_templates.py [--out DIR]

The templates are ordinary Word documents that the office may open and reword in Word or
LibreOffice, so they are built from named styles (Normal, Subject, Quote, Heading 1/2, Address,
Field, Field Text, Signatory, Enclosures, Letterhead ..., Table Text, Table Heading) on an A4 page
with 2.5 cm margins; there are no text boxes and no fields that need updating.

This script made the first version of the templates; the office edits the .docx files since,
so running it again would overwrite their wording. The fields a template may use are listed by
`letters templates fields`, and `letters templates check` checks a template against them.

Rules the templates keep:
- every docxtpl tag sits whole inside one run, so Word's run-splitting cannot break it;
- `{%p ... %}` and `{%tr ... %}` tags stand alone in their own paragraph or table row;
- quoted posts are printed as `{{ post.text }}` alone in a run, in a "Quote" paragraph;
- no filters, no RichText: the pipeline renders with autoescape and StrictUndefined.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "letter_templates"

FONT = "Arial"
BLACK = RGBColor(0, 0, 0)
GREY = "808080"

POSTER_MARKING = "Private and confidential"
THIRD_PARTY_MARKING = "Official \u2014 sensitive"

# The policy's Cyber Bullying commitment, verbatim (its spacing in "parents /carers" included).
DIGNITY = ("Bexton Primary School is committed to ensuring that all of its staff, parents, "
           "governors, parents /carers and pupils are treated with dignity and respect.")

# British convention: "Dear Sir or Madam" closes "Yours faithfully", a named person "Yours
# sincerely". One run, so the whole tag survives editing.
CLOSE = ("{% if recipient.dear == 'Sir or Madam' %}Yours faithfully"
         "{% else %}Yours sincerely{% endif %}")

# Runs: a plain string is one run in the paragraph style; (text, "Label") is one run in the
# bold "Label" character style.
Run = str | tuple[str, str]


# --- styles and page ---------------------------------------------------------------------------


def _arial_everywhere(doc) -> None:
    """Every rFonts in styles.xml (and the document defaults) names Arial, not a theme font."""
    styles = doc.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), "en-GB")
    lang.set(qn("w:eastAsia"), "en-GB")
    ppr = defaults.find(qn("w:pPrDefault")).find(qn("w:pPr"))
    spacing = ppr.find(qn("w:spacing"))
    spacing.set(qn("w:after"), "120")
    spacing.set(qn("w:line"), "240")
    for rfonts in styles.iter(qn("w:rFonts")):
        for attr in list(rfonts.attrib):
            del rfonts.attrib[attr]
        for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
            rfonts.set(qn(attr), FONT)
    settings = doc.settings.element
    theme_lang = settings.find(qn("w:themeFontLang"))
    if theme_lang is not None:
        theme_lang.set(qn("w:val"), "en-GB")


def _pbdr(ppr, side: str, size: int = 8, space: int = 4, color: str = GREY) -> None:
    """Add a single-line paragraph border on one side, in schema order."""
    pbdr = ppr.find(qn("w:pBdr"))
    if pbdr is None:
        pbdr = OxmlElement("w:pBdr")
        ppr.insert_element_before(
            pbdr, "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap",
            "w:overflowPunct", "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi",
            "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing",
            "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection",
            "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle",
            "w:rPr", "w:sectPr", "w:pPrChange")
    edge = OxmlElement(f"w:{side}")
    edge.set(qn("w:val"), "single")
    edge.set(qn("w:sz"), str(size))
    edge.set(qn("w:space"), str(space))
    edge.set(qn("w:color"), color)
    pbdr.append(edge)


def _no_tabs(style) -> None:
    ppr = style.element.get_or_add_pPr()
    tabs = ppr.find(qn("w:tabs"))
    if tabs is not None:
        ppr.remove(tabs)


def _para_style(doc, name: str, base: str | None = "Normal", *, size: float | None = None,
                bold: bool | None = None, italic: bool | None = None,
                before: float | None = None, after: float | None = None,
                left: float | None = None, right: float | None = None,
                align=None, keep_next: bool | None = None, next_style: str | None = None):
    try:
        style = doc.styles[name]
    except KeyError:
        style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    if base:
        style.base_style = doc.styles[base]
    style.hidden = False
    style.quick_style = True
    font = style.font
    if size is not None:
        font.size = Pt(size)
        size_cs = style.element.get_or_add_rPr().find(qn("w:szCs"))
        if size_cs is not None:  # complex-script size, left over from the built-in style
            size_cs.set(qn("w:val"), str(int(size * 2)))
    if bold is not None:
        font.bold = bold
    if italic is not None:
        font.italic = italic
        italic_cs = style.element.get_or_add_rPr().find(qn("w:iCs"))
        if italic_cs is not None and not italic:
            italic_cs.getparent().remove(italic_cs)
    font.color.rgb = BLACK
    fmt = style.paragraph_format
    if before is not None:
        fmt.space_before = Pt(before)
    if after is not None:
        fmt.space_after = Pt(after)
    if left is not None:
        fmt.left_indent = Cm(left)
    if right is not None:
        fmt.right_indent = Cm(right)
    if align is not None:
        fmt.alignment = align
    if keep_next is not None:
        fmt.keep_with_next = keep_next
    if next_style:
        style.next_paragraph_style = doc.styles[next_style]
    return style


def setup_styles(doc) -> None:
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(11)
    fmt = normal.paragraph_format
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(6)
    fmt.line_spacing = 1.0
    fmt.widow_control = True

    _para_style(doc, "Heading 1", size=12, bold=True, italic=False, before=12, after=6,
                keep_next=True)
    _para_style(doc, "Heading 2", size=11, bold=True, italic=False, before=9, after=3,
                keep_next=True)
    _para_style(doc, "Subject", size=11, bold=True, before=6, after=12, keep_next=True)
    # Quoted posts and policy text: indented both sides, a grey rule on the left.
    quote = _para_style(doc, "Quote", size=11, italic=False, before=3, after=9, left=1.0,
                        right=1.0)
    _pbdr(quote.element.get_or_add_pPr(), "left", size=12, space=8)
    _para_style(doc, "Address", after=0)
    _para_style(doc, "Marking", bold=True, after=0)
    _para_style(doc, "Lead In", keep_next=True)
    _para_style(doc, "Field", after=2)
    _para_style(doc, "Field Text", left=1.0, after=6)
    _para_style(doc, "Closing", before=12, after=0, keep_next=True)
    _para_style(doc, "Signatory", before=42, after=0, keep_next=True)
    _para_style(doc, "Enclosures", bold=True, before=18, after=3, keep_next=True)
    _para_style(doc, "Declaration", before=6)
    _para_style(doc, "Screenshot", align=WD_ALIGN_PARAGRAPH.CENTER, after=12)
    for name in ("List Bullet", "List Number"):
        _para_style(doc, name, after=3)
    _para_style(doc, "Table Text", size=9, after=0)
    _para_style(doc, "Table Heading", "Table Text", bold=True)

    center = WD_ALIGN_PARAGRAPH.CENTER
    _para_style(doc, "Letterhead Name", size=18, bold=True, after=0, align=center)
    _para_style(doc, "Letterhead Motto", size=10, italic=True, after=2, align=center)
    _para_style(doc, "Letterhead Address", size=9, after=0, align=center)
    contact = _para_style(doc, "Letterhead Contact", size=9, after=12, align=center)
    _pbdr(contact.element.get_or_add_pPr(), "bottom", size=6, space=6)
    for name in ("Header", "Footer"):
        _no_tabs(doc.styles[name])
    _para_style(doc, "Footer", size=8, after=0, align=center)

    try:
        label = doc.styles["Label"]
    except KeyError:
        label = doc.styles.add_style("Label", WD_STYLE_TYPE.CHARACTER)
    label.font.bold = True
    label.hidden = False
    label.quick_style = True

    _arial_everywhere(doc)


def setup_page(section, landscape: bool = False) -> None:
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    else:
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    for side in ("top_margin", "bottom_margin", "left_margin", "right_margin"):
        setattr(section, side, Cm(2.5))
    section.header_distance = Cm(1.0)
    section.footer_distance = Cm(1.0)


def letterhead(section) -> None:
    header = section.header
    header.is_linked_to_previous = False
    first = header.paragraphs[0]
    first.style = "Letterhead Name"
    first.add_run("{{ school.name }}")
    motto = header.add_paragraph(style="Letterhead Motto")
    motto.add_run("\u2018{{ school.motto }}\u2019")
    address = header.add_paragraph(style="Letterhead Address")
    address.add_run("{{ school.address_line }}")
    contact = header.add_paragraph(style="Letterhead Contact")
    contact.add_run("Telephone {{ school.telephone }} \u00b7 Email {{ school.email }}"
                    "{% if school.website %} \u00b7 {{ school.website }}{% endif %}")


def footer(section, marking: str) -> None:
    foot = section.footer
    foot.is_linked_to_previous = False
    first = foot.paragraphs[0]
    first.style = "Footer"
    first.add_run(marking, style="Label")
    ref = foot.add_paragraph(style="Footer")
    ref.add_run("Reference {{ letter.reference }}")


# --- the letter builder ------------------------------------------------------------------------


class Letter:
    def __init__(self, kind: str, marking: str, description: str):
        self.kind = kind
        self.marking = marking
        self.doc = Document()
        setup_styles(self.doc)
        section = self.doc.sections[0]
        setup_page(section)
        letterhead(section)
        footer(section, marking)
        # python-docx starts with no body paragraphs; nothing to remove.
        props = self.doc.core_properties
        props.title = f"Letter template: {kind}"
        props.subject = description
        props.author = "Bexton Primary School"
        props.last_modified_by = "Bexton Primary School"
        props.keywords = f"docxtpl template; {kind}"
        # No braces here: docxtpl renders the document properties as templates too.
        props.comments = ("docxtpl template: placeholders in double curly brackets are filled "
                          "in when a letter is drafted. Reword freely, but keep each placeholder "
                          "whole and keep lines holding only a paragraph or row tag on their own.")
        props.language = "en-GB"
        props.revision = 1
        now = datetime.now(UTC).replace(microsecond=0, tzinfo=None)
        props.created = props.modified = now
        # The stock thumbnail shows an unrelated page in file browsers: drop it.
        package_rels = self.doc.part.package.rels
        for rid, rel in list(package_rels.items()):
            if rel.reltype.endswith("/thumbnail"):
                del package_rels[rid]

    # paragraphs
    def p(self, *runs: Run, style: str = "Normal"):
        para = self.doc.add_paragraph(style=style)
        for run in runs:
            if isinstance(run, tuple):
                text, char_style = run
                para.add_run(text, style=char_style)
            else:
                para.add_run(run)
        return para

    def tag(self, text: str):
        """A control paragraph: the tag alone, in one run (docxtpl removes the paragraph)."""
        assert text.startswith(("{%p ", "{%tr ")), text
        return self.p(text)

    def blank(self):
        return self.p()

    def heading(self, text: str, level: int = 1):
        return self.p(text, style=f"Heading {level}")

    def quote(self, expr: str, style: str = "Quote"):
        """A value printed whole: `{{ expr }}` alone in its own run."""
        return self.p("{{ " + expr + " }}", style=style)

    def each(self, var: str, iterable: str, text: str, style: str = "List Bullet"):
        self.tag(f"{{%p for {var} in {iterable} %}}")
        self.p(text, style=style)
        self.tag("{%p endfor %}")

    def block(self, opener: str, body: Callable[[], None], closer: str):
        self.tag(opener)
        body()
        self.tag(closer)

    # the fixed parts of every letter
    def opening(self, marking_line: str | None = None):
        self.p("Our reference: {{ letter.reference }}", style="Address")
        self.p("{{ letter.date }}", style="Address")
        self.blank()
        if marking_line:
            self.p(marking_line, style="Marking")
        self.p("{{ recipient.name }}", style="Address")
        self.each("line", "recipient.lines", "{{ line }}", style="Address")
        self.blank()
        self.p("Dear {{ recipient.dear }}")
        self.p("{{ letter.subject }}", style="Subject")

    def closing(self):
        self.p(CLOSE, style="Closing")
        self.p("{{ signatory.name }}", style="Signatory")
        self.p("{{ signatory.role }}", style="Address")
        self.p("{{ school.name }}", style="Address")
        self.tag("{%p if letter.enclosures %}")
        self.p("Enclosures:", style="Enclosures")
        self.each("item", "letter.enclosures", "{{ item }}")
        self.tag("{%p endif %}")

    def save(self, out_dir: Path) -> Path:
        path = out_dir / f"{self.kind}.docx"
        self.doc.save(path)
        return path


# --- shared passages ---------------------------------------------------------------------------

POST_URL = "{% if post.url %} ({{ post.url }}){% endif %}"
POST_REMOVED = ("{% if post.status == 'removed' %} I note that this post has since been "
                "removed, and I am grateful for that.{% endif %}")


def quoted_posts_to_poster(L: Letter) -> None:
    """Each post to the poster: when and where, the words verbatim, what concerns the school."""
    L.tag("{%p for post in posts %}")
    L.p("On {{ post.posted_full }} you posted the following on {{ post.platform }}"
        + POST_URL + ":", style="Lead In")
    L.quote("post.text")
    L.p("The school is concerned that this post includes {{ post.concerns_text }}."
        + POST_REMOVED)
    L.tag("{%p endfor %}")


def complaints_route(L: Letter) -> None:
    L.p("If you are unhappy about anything the school has done, please raise it with us "
        "directly. You can telephone the school office on {{ school.telephone }} to arrange a "
        "meeting with the Headteacher, or use the school\u2019s formal complaints procedure, "
        "which is available on the school website and from the school office. Concerns raised "
        "in this way can be properly looked into and answered, which is not possible on social "
        "media.")


# --- the six letters ---------------------------------------------------------------------------


def concern() -> Letter:
    L = Letter("concern", POSTER_MARKING,
               "First step under the Social Media Policy: tell the poster what the school has "
               "seen, why it is a concern, and ask for removal and a conversation.")
    L.opening(POSTER_MARKING)
    L.p("I am writing to you about material you have posted online, which has been brought to "
        "the school\u2019s attention. I would much rather talk this through with you in person, "
        "and I hope that this letter will be the start of a conversation rather than anything "
        "more formal.")

    L.heading("What the school has seen")
    quoted_posts_to_poster(L)

    L.heading("Why this concerns the school")
    L.p("The school\u2019s {{ school.policy_title }} sets out how we ask parents, carers and "
        "others associated with the school to use social networking sites. Among its purposes, "
        "the policy aims to:", style="Lead In")
    L.each("objective", "objectives", "{{ objective }}")
    L.p("The policy also gives examples of uses of social networking sites that the school "
        "considers inappropriate. Those that apply here are:", style="Lead In")
    L.each("use", "policy_uses", "{{ use }}")
    L.p("The policy also says:", style="Lead In")
    L.p(DIGNITY, style="Quote")
    L.p("That commitment applies to everyone in our school community, including you and your "
        "family, and it is why I am asking for your help now.")

    L.heading("What I am asking you to do")
    L.p("I am asking you to remove the material quoted above, and I would be grateful if you "
        "could do so by {{ letter.remove_by }}. Please let the school office know once it has "
        "been removed. I would also ask you not to post further material of this kind about the "
        "school, its staff, its pupils or anyone else associated with the school.")

    L.heading("Talking to us")
    L.p("If you have concerns about the school, I would much rather hear about them directly, "
        "so that they can be properly looked into. Please telephone the school office on "
        "{{ school.telephone }} to arrange a private meeting with the Headteacher at a time "
        "that suits you.")
    L.p("If you would prefer to make a formal complaint, the school\u2019s complaints procedure "
        "is available on the school website and from the school office, and any complaint you "
        "make will be considered fairly.")
    L.p("Thank you for taking the time to read this letter. I hope that we can resolve this "
        "together.")
    L.closing()
    return L


def warning() -> Letter:
    L = Letter("warning", POSTER_MARKING,
               "Poster refused or continued: the school's concerns in writing, a formal warning, "
               "a request to remove by a date and the action the school may consider next.")
    L.opening(POSTER_MARKING)
    L.p("I am writing further to the school\u2019s earlier contact with you about material you "
        "have posted online. As the matter has not been resolved, the school is now setting out "
        "its concerns to you in writing and giving you a formal warning, as its "
        "{{ school.policy_title }} provides.")

    L.heading("What has happened so far")
    L.each("step", "previous", "{{ step }}")

    L.heading("The school\u2019s concerns")
    quoted_posts_to_poster(L)
    L.p("The {{ school.policy_title }} gives examples of uses of social networking sites that "
        "the school considers inappropriate. The material above falls within the following:",
        style="Lead In")
    L.each("use", "policy_uses", "{{ use }}")

    L.heading("Formal warning")
    L.p("Please treat this letter as a formal warning. The school considers your use of social "
        "networking sites described above to be inappropriate under its "
        "{{ school.policy_title }}.")
    L.p("I ask you to remove the material quoted above by {{ letter.remove_by }}, and not to "
        "post further material of this kind about the school, its staff, its pupils, its "
        "governors or anyone else associated with the school. Please let the school office know "
        "once you have done so, by email to {{ school.email }} or by telephone on "
        "{{ school.telephone }}.")

    L.heading("What the school will consider next")
    L.p("If the material is not removed by {{ letter.remove_by }}, or if further material of "
        "this kind is posted, the policy provides that the school will consider taking the "
        "following action:", style="Lead In")
    L.each("action", "next_steps", "{{ action }}")
    L.p("No decision has yet been made on any of these steps, and I very much hope that none "
        "will be needed.")

    L.heading("Raising concerns with the school")
    complaints_route(L)
    L.closing()
    return L


def host_takedown() -> Letter:
    L = Letter("host_takedown", THIRD_PARTY_MARKING,
               "To the operator of a platform: the content, the platform's own rules it breaches, "
               "the harm, a request for removal and, where a post is defamatory of a named "
               "person, a notice of complaint under s5 Defamation Act 2013.")
    L.opening()
    L.p("I am the {{ signatory.role }} of {{ school.name }}, a primary school in England. I am "
        "writing on behalf of the school to report content on {{ platform.label }} and to ask "
        "you to remove it.")
    L.p("Where the content names a pupil, the pupil\u2019s name has been replaced by initials in "
        "this letter. The school is also reporting the content through {{ platform.route }}.")

    L.heading("The content")
    L.tag("{%p for post in posts %}")
    L.heading("Item {{ post.id }}", 2)
    L.p(("Web address (URL): ", "Label"),
        "{% if post.url %}{{ post.url }}{% else %}none (the content has no web address)"
        "{% endif %}", style="Field")
    L.tag("{%p if post.handle %}")
    L.p(("Account: ", "Label"), "{{ post.handle }}", style="Field")
    L.tag("{%p endif %}")
    L.p(("Date posted: ", "Label"), "{{ post.posted_full }}", style="Field")
    L.p(("Visibility: ", "Label"), "{{ post.visibility }}", style="Field")
    L.tag("{%p if post.report_reference %}")
    L.p(("Your report reference: ", "Label"), "{{ post.report_reference }}", style="Field")
    L.tag("{%p endif %}")
    L.p(("Content as posted:", "Label"), style="Lead In")
    L.quote("post.text")
    L.p(("Why we are reporting it: ", "Label"),
        "the content includes {{ post.concerns_text }}.")
    L.tag("{%p endfor %}")

    L.tag("{%p if platform.rules %}")
    L.heading("Your {{ platform.rules_name }}")
    L.p("The school considers that the content breaches your {{ platform.rules_name }}, in "
        "particular your rules on:", style="Lead In")
    L.each("rule", "platform.rules", "{{ rule }}")
    L.tag("{%p endif %}")

    L.heading("The harm it is causing")
    L.p("The content is causing, or is likely to cause, the following harm:", style="Lead In")
    L.each("harm", "harms", "{{ harm }}")

    L.heading("Our request")
    L.p("We ask you to remove the content listed above as soon as possible, and to let us know "
        "what action you have taken by email to {{ school.notices_email }}, quoting our "
        "reference {{ letter.reference }}.")

    L.tag("{%p if any_defamatory %}")
    L.heading("Notice of complaint under section 5 of the Defamation Act 2013 and regulation 2 "
              "of the Defamation (Operators of Websites) Regulations 2013")
    L.p("This section is a notice of complaint under section 5(6) of the Defamation Act 2013. "
        "It contains the information required by regulation 2 of the Defamation (Operators of "
        "Websites) Regulations 2013. Each complainant is an individual named in the content, and "
        "the school gives this notice on their behalf and with their agreement. The law relied "
        "on is the law of England and Wales.")
    L.p("We understand that the Regulations expect an operator to act on a notice of complaint "
        "within 48 hours, not counting non-business days.")
    L.tag("{%p for notice in notices %}")
    L.heading("Complaint about item {{ notice.post_id }}", 2)
    L.p(("Name of the complainant: ", "Label"), "{{ notice.complainant }}", style="Field")
    L.p(("Email address of the complainant: ", "Label"),
        "{{ notice.email }} (the school office\u2019s mailbox, used for this complaint)",
        style="Field")
    L.p(("Where the statement was posted: ", "Label"),
        "{% if notice.url %}{{ notice.url }}{% else %}see item {{ notice.post_id }} above"
        "{% endif %}", style="Field")
    L.p(("The statement concerned:", "Label"), style="Lead In")
    L.quote("notice.statement")
    L.p(("The meaning the complainant attributes to the statement:", "Label"), style="Field")
    L.quote("notice.meaning", style="Field Text")
    L.p(("Why the statement is defamatory of the complainant:", "Label"), style="Field")
    L.p("The statement identifies the complainant by name. In the meaning above it has caused, "
        "or is likely to cause, serious harm to the complainant\u2019s reputation.",
        style="Field Text")
    L.p((("The parts of the statement that are factually inaccurate, or are opinions not "
         "supported by fact:"), "Label"), style="Field")
    L.quote("notice.inaccurate", style="Field Text")
    L.p(("Information about the poster:", "Label"), style="Field")
    # REFERENCE.md: where the poster is known to the school the operator keeps its s5 defence,
    # so the notice says so plainly rather than confirm something untrue.
    L.p("The school believes the account holder to be {{ poster.name }}, a person known to the "
        "school. We recognise that, because the poster can be identified, you may not need to "
        "act under section 5; the school therefore also relies on your own rules, as set out "
        "above.", style="Field Text")
    L.p(("Consent to disclosure to the poster:", "Label"), style="Field")
    L.p("{{ notice.consent_text }}", style="Field Text")
    L.tag("{%p endfor %}")
    L.p("The school also relies on your own {{ platform.rules_name }}. Whatever the outcome of "
        "this notice, we ask you to consider the content under those rules, as set out above, "
        "and to remove it.")
    L.tag("{%p endif %}")

    L.heading("Declaration")
    L.p("I confirm that the information in this letter{% if any_defamatory %}, including the "
        "notice of complaint,{% endif %} is true and complete to the best of my knowledge and "
        "belief.", style="Declaration")
    L.p(("Signed: ", "Label"), "{{ signatory.name }} (typed signature), {{ signatory.role }}, "
        "for and on behalf of {{ school.name }}", style="Field")
    L.p(("Date: ", "Label"), "{{ letter.date }}")
    L.closing()
    return L


EVIDENCE_COLUMNS = [  # header, cell text, width in cm (landscape A4 less 2.5 cm margins: 24.7)
    ("Post", "{{ row.id }}", 1.3),
    ("Date and time posted", "{{ row.posted_full }}", 2.4),
    ("Platform", "{{ row.platform }}", 2.2),
    ("Full URL", "{% if row.url %}{{ row.url }}{% else %}none{% endif %}", 3.9),
    ("Account", "{{ row.handle }}", 2.0),
    ("Content", "{{ row.text }}", 5.6),
    ("Captured by and when", "{{ row.captured }}", 2.5),
    ("Screenshot", "{% if row.screenshot %}{{ row.screenshot }}{% else %}none{% endif %}", 2.4),
    ("Status", ("{{ row.status }}"
     "{% if row.report_reference %}; platform report {{ row.report_reference }}{% endif %}"
     "{% if row.crime_reference %}; crime reference {{ row.crime_reference }}{% endif %}"), 2.4),
]


def _cell(cell, text: str, style: str, width: float) -> None:
    cell.width = Cm(width)
    para = cell.paragraphs[0]
    para.style = style
    if text:
        para.add_run(text)


def evidence_table(L: Letter) -> None:
    table = L.doc.add_table(rows=4, cols=len(EVIDENCE_COLUMNS))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for i, (_, _, width) in enumerate(EVIDENCE_COLUMNS):
        table.columns[i].width = Cm(width)
    head, loop_open, data, loop_close = table.rows
    header_tr = head._tr.get_or_add_trPr()
    header_tr.append(OxmlElement("w:tblHeader"))  # repeat the header row on each page
    for i, (title, text, width) in enumerate(EVIDENCE_COLUMNS):
        _cell(head.cells[i], title, "Table Heading", width)
        _cell(loop_open.cells[i], "{%tr for row in evidence %}" if i == 0 else "", "Table Text",
              width)
        _cell(data.cells[i], text, "Table Text", width)
        _cell(loop_close.cells[i], "{%tr endfor %}" if i == 0 else "", "Table Text", width)


def police_referral() -> Letter:
    L = Letter("police_referral", THIRD_PARTY_MARKING,
               "Cover note to the police with the evidence log: what happened, why the school "
               "believes an offence may have been committed, references, originals kept.")
    L.opening()
    L.p("I am the {{ signatory.role }} of {{ school.name }}. I am writing to report online posts "
        "which the school believes may amount to a criminal offence, and to pass on the evidence "
        "the school holds. Whether an offence has been committed is, of course, a matter for the "
        "police.")

    L.heading("What happened")
    L.p("The school believes that the posts below were made by {{ poster.name }} (relationship "
        "to the school: {{ poster.relationship }}).", style="Lead In")
    L.tag("{%p for post in posts %}")
    L.p(("{{ post.id }}: ", "Label"),
        "posted on {{ post.platform }} on {{ post.posted_full }}"
        "{% if post.handle %} by the account {{ post.handle }}{% endif %}. It includes "
        "{{ post.concerns_text }}."
        "{% if post.about %} It concerns {% for person in post.about %}{{ person }}"
        "{% if not loop.last %}; {% endif %}{% endfor %}.{% endif %}"
        "{% if post.status == 'removed' %} It has since been removed.{% else %} It is still "
        "online.{% endif %}", style="List Bullet")
    L.tag("{%p endfor %}")

    L.heading("Why the school believes an offence may have been committed")
    L.p("The school believes that the following may apply:", style="Lead In")
    L.each("offence", "offences", "{{ offence }}")
    L.tag("{%p if course_of_conduct %}")
    L.p("The posts were made on {{ occasions }} separate occasions, which the school understands "
        "may amount to a course of conduct.")
    L.tag("{%p endif %}")
    L.p("The school\u2019s {{ school.policy_title }} provides for this step:", style="Lead In")
    L.each("clause", "clauses", "{{ clause }}", style="Quote")

    L.heading("Reference numbers")
    L.tag("{%p if police.crime_reference %}")
    L.p("This matter has already been reported to {{ police.force }} under crime reference "
        "{{ police.crime_reference }}. Please add this letter and its evidence log to that "
        "report.")
    L.tag("{%p else %}")
    L.p("No crime reference has been issued yet. I should be grateful if you would let the "
        "school have one once the report has been recorded.")
    L.tag("{%p endif %}")
    L.p("Any reference the platform gave when the school reported a post is shown in the "
        "evidence log.")

    L.heading("Evidence")
    L.p("The evidence log at the end of this letter sets out, for each post, the date and time "
        "it was posted, the platform, its full web address, the account that posted it, the "
        "content as posted, who captured it and when, the screenshot file and whether the post "
        "is still online. The screenshots follow the log.")
    L.p("The school has kept the original screenshots and records, unaltered, and will not "
        "delete them. They are available to the investigating officer on request.")
    L.p("To keep the personal data shared to what is necessary (data minimisation, UK GDPR "
        "Article 5(1)(c)), pupils are referred to in this letter and in the evidence log by "
        "their initials only. The school is sharing this information to help prevent or detect "
        "an unlawful act (Data Protection Act 2018, Schedule 1, paragraph 10), and can give an "
        "investigating officer any further details needed.")

    L.heading("Contact")
    L.p("Please contact the school office on {{ school.telephone }} or at {{ school.email }} to "
        "speak to me or to arrange to collect the original evidence.")
    L.closing()

    # The evidence log and screenshots: a landscape section (same letterhead and footer).
    log = L.doc.add_section(WD_SECTION.NEW_PAGE)
    setup_page(log, landscape=True)
    L.heading("Evidence log")
    L.p("Case {{ case.case_id }}, our reference {{ letter.reference }}"
        "{% if police.crime_reference %}, crime reference {{ police.crime_reference }}"
        "{% endif %}. Pupils are referred to by initials only.")
    evidence_table(L)
    L.heading("Screenshots")
    L.tag("{%p for row in evidence %}")
    L.p("Screenshot of {{ row.id }}{% if row.screenshot %} ({{ row.screenshot }})"
        "{% else %}: no screenshot held{% endif %}", style="Heading 2")
    L.quote("row.image", style="Screenshot")
    L.tag("{%p endfor %}")
    return L


def legal_referral() -> Letter:
    L = Letter("legal_referral", THIRD_PARTY_MARKING,
               "Cover note to the school's legal advisers: the facts, the enclosed bundle and the "
               "questions on which advice is sought.")
    L.opening("Privileged and confidential: request for legal advice")
    L.p("I should be grateful for your advice, on behalf of {{ school.name }}, about online "
        "posts made by {{ poster.name }} (relationship to the school: "
        "{{ poster.relationship }}). The school\u2019s case reference is {{ case.case_id }}; the "
        "case was opened on {{ case.opened }}.")

    L.heading("The facts")
    L.each("fact", "facts", "{{ fact }}")

    L.heading("The posts")
    L.tag("{%p for post in posts %}")
    L.p("{{ post.id }}: posted on {{ post.platform }} on {{ post.posted_full }}" + POST_URL
        + "{% if post.status == 'removed' %}, since removed{% endif %}:", style="Lead In")
    L.quote("post.text")
    L.tag("{%p endfor %}")

    L.tag("{%p if history %}")
    L.heading("Steps taken so far")
    L.each("item", "history",
           "{{ item.date }}: {{ item.step }}{% if item.by %} ({{ item.by }}){% endif %}; "
           "outcome: {{ item.outcome }}.{% if item.notes %} {{ item.notes }}{% endif %}")
    L.tag("{%p endif %}")

    L.heading("The enclosed bundle")
    L.p("I enclose a bundle containing:", style="Lead In")
    L.each("document", "enclosures", "{{ document }}")

    L.heading("The advice sought")
    L.p("The school would be grateful for your advice on the following questions:",
        style="Lead In")
    L.each("question", "questions", "{{ question }}", style="List Number")

    L.heading("Your reply")
    L.p("Please let me know whether you are able to advise and, before starting work, your "
        "estimate of the likely cost. I should be grateful for an early reply, as the matter is "
        "ongoing. You can reach me through the school office on {{ school.telephone }} or at "
        "{{ school.email }}.")
    L.closing()
    return L


def access_restriction() -> Letter:
    L = Letter("access_restriction", POSTER_MARKING,
               "To the poster: access to the school's own website or forum is restricted for a "
               "period, why, and how to ask for a review.")
    L.opening(POSTER_MARKING)
    L.p("I am writing to let you know that the school has decided to restrict your access to "
        "{{ restriction.site }} from {{ restriction.start }} for {{ restriction.period }}.")

    L.heading("Why the school has taken this step")
    L.p("This decision follows the material quoted below.")
    quoted_posts_to_poster(L)
    L.p("The school\u2019s {{ school.policy_title }} says:", style="Lead In")
    L.each("clause", "clauses", "{{ clause }}", style="Quote")

    L.heading("What this means for you")
    L.p("From {{ restriction.start }}, and for {{ restriction.period }}, you will not be able to "
        "use {{ restriction.site }}. This decision does not change how the school works with you "
        "on any other matter, and you can still contact the school in the usual way: by "
        "telephone on {{ school.telephone }}, by email to {{ school.email }} or at the school "
        "office.")
    L.p("I would also ask you not to post material of this kind about the school, its staff, its "
        "pupils or anyone else associated with the school elsewhere online.")

    L.heading("Asking for a review")
    L.p("If you would like the school to look at this decision again, you can ask for a review. "
        "{{ restriction.how_to_review }}")
    L.p("Please make any request for a review by {{ restriction.review_by }}.")
    L.p("You can also use the school\u2019s formal complaints procedure, which is available on the "
        "school website and from the school office.")
    L.closing()
    return L


BUILDERS: dict[str, Callable[[], Letter]] = {
    "concern": concern,
    "warning": warning,
    "host_takedown": host_takedown,
    "police_referral": police_referral,
    "legal_referral": legal_referral,
    "access_restriction": access_restriction,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"where to write the templates (default {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for build in BUILDERS.values():
        path = build().save(args.out)
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
