"""Unused styles are left out of each letter (pipeline.render.prune_styles).

LibreOffice reads every style of a letter when it makes the PDF copy, and a template begun from a
blank Word or python-docx document carries 150-odd it never uses. What is kept must be exactly
what the letter can show: each style a part names, what those are based on, linked to or followed
by, and the defaults.
"""

from __future__ import annotations

from datetime import date

from lxml import etree

from pipeline.docx.package import prune_styles

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _styles(*styles: str) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:styles xmlns:w="{W}">'
            '<w:docDefaults><w:rPrDefault><w:rPr><w:sz w:val="22"/></w:rPr></w:rPrDefault>'
            '</w:docDefaults><w:latentStyles w:count="1"><w:lsdException w:name="Title"/>'
            f'</w:latentStyles>{"".join(styles)}</w:styles>').encode()


def _style(style_id: str, kind: str = "paragraph", inner: str = "", default: bool = False) -> str:
    flag = ' w:default="1"' if default else ""
    return f'<w:style w:type="{kind}"{flag} w:styleId="{style_id}">{inner}</w:style>'


def _kept(pruned: bytes) -> set[str]:
    root = etree.fromstring(pruned)
    return {s.get(f"{{{W}}}styleId") for s in root.findall(f"{{{W}}}style")}


PARTS = {
    "word/document.xml": f'<w:document xmlns:w="{W}"><w:body><w:p><w:pPr><w:pStyle w:val="Quote"/>'
                         '</w:pPr><w:r><w:rPr><w:rStyle w:val="Strong"/></w:rPr></w:r></w:p>'
                         '<w:tbl><w:tblPr><w:tblStyle w:val="Grid"/></w:tblPr></w:tbl>'
                         '</w:body></w:document>'.encode(),
    "word/header1.xml": f'<w:hdr xmlns:w="{W}"><w:p><w:pPr><w:pStyle w:val="Header"/></w:pPr>'
                        '</w:p></w:hdr>'.encode(),
    "word/numbering.xml": f'<w:numbering xmlns:w="{W}"><w:abstractNum><w:lvl><w:pPr><w:pStyle '
                          'w:val="ListNumber"/></w:pPr></w:lvl></w:abstractNum></w:numbering>'.encode(),
    "word/settings.xml": f'<w:settings xmlns:w="{W}"><w:clickAndTypeStyle w:val="Body"/>'
                         '</w:settings>'.encode(),
    "word/styles.xml": _styles(
        _style("Normal", default=True),
        _style("DefaultParagraphFont", "character", default=True),
        _style("Quote", inner='<w:basedOn w:val="Indented"/><w:link w:val="QuoteChar"/>'
                              '<w:next w:val="AfterQuote"/>'),
        _style("Indented", inner='<w:basedOn w:val="Normal"/>'),
        _style("QuoteChar", "character"), _style("AfterQuote"),
        _style("Strong", "character"), _style("Grid", "table"), _style("Header"),
        _style("ListNumber"), _style("Body"),
        _style("LightShadingAccent1", "table"), _style("Heading9", inner='<w:basedOn w:val="Normal"/>'),
        _style("TOC1")),
}


def test_styles_named_by_any_part_and_what_they_lean_on_are_kept():
    kept = _kept(prune_styles(PARTS))

    assert kept == {"Normal", "DefaultParagraphFont", "Quote", "Indented", "QuoteChar",
                    "AfterQuote", "Strong", "Grid", "Header", "ListNumber", "Body"}


def test_document_defaults_and_latent_styles_are_kept_whole():
    root = etree.fromstring(prune_styles(PARTS))

    assert root.find(f"{{{W}}}docDefaults") is not None
    assert root.find(f"{{{W}}}latentStyles/{{{W}}}lsdException").get(f"{{{W}}}name") == "Title"


def test_a_styles_part_with_nothing_unused_is_left_byte_for_byte():
    parts = {**PARTS, "word/styles.xml": _styles(_style("Normal", default=True), _style("Quote"))}

    assert prune_styles(parts) is None


def test_a_styles_part_that_is_not_xml_is_left_for_word_to_judge():
    assert prune_styles({**PARTS, "word/styles.xml": b"<w:styles"}) is None
    assert prune_styles({"word/document.xml": PARTS["word/document.xml"]}) is None


def test_a_template_with_unused_styles_renders_letters_without_them(tmp_path):
    import docx

    from pipeline.docx.package import DocumentProperties
    from pipeline.docx.template import CompiledTemplate

    document = docx.Document()  # python-docx's blank document: about 160 styles
    document.add_paragraph("{{ name }}", style="Quote")
    document.save(tmp_path / "t.docx")
    template = CompiledTemplate.load(tmp_path / "t.docx")
    properties = DocumentProperties(title="t", subject="s", author="a", keywords="k",
                                    letter_date=date(2026, 11, 3))
    letter = template.render({"name": "A & B"}, properties)
    (tmp_path / "letter.docx").write_bytes(letter)

    reread = docx.Document(tmp_path / "letter.docx")
    names = {style.name for style in reread.styles}
    assert reread.paragraphs[0].text == "A & B" and reread.paragraphs[0].style.name == "Quote"
    assert "Normal" in names and "Light Shading Accent 1" not in names
    assert len(names) < 20


def test_words_2010_copy_of_the_styles_is_pruned_alike():
    parts = {**PARTS, "word/stylesWithEffects.xml": PARTS["word/styles.xml"]}

    assert _kept(prune_styles(parts, "word/stylesWithEffects.xml")) == _kept(prune_styles(parts))


def test_a_style_name_made_by_a_template_tag_keeps_every_style():
    document = (f'<w:document xmlns:w="{W}"><w:body><w:p><w:pPr>'
                '<w:pStyle w:val="Heading{{ level }}"/></w:pPr></w:p></w:body></w:document>')

    assert prune_styles({**PARTS, "word/document.xml": document.encode()}) is None


def test_wordprocessingml_under_another_prefix_keeps_every_style():
    document = (f'<ns0:document xmlns:ns0="{W}"><ns0:body><ns0:p><ns0:pPr>'
                '<ns0:pStyle ns0:val="Quote"/></ns0:pPr></ns0:p></ns0:body></ns0:document>')

    assert prune_styles({**PARTS, "word/document.xml": document.encode()}) is None
