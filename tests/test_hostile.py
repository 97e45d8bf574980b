"""Hostile input: nothing lost, nothing corrupt, nothing outside the output folder.

Every input here is one an office could meet by accident (text pasted from Word or a phone, a
very long post, a folder named instead of a file) or one built to break the pipeline (markup and
template tags, control characters, alias bombs, nesting thousands deep, a 20 MB file, paths
and symlinks reaching outside). For each, one of two things must happen:

* the letter is drafted and shows the text exactly, after the documented transformations
  (docs/hostile-input.md): CR, CRLF, VT, FF, U+2028, U+2029 and U+0085 become line breaks, tabs
  stay tabs, line breaks at the very end of a post are dropped; every .docx is a sound package
  (each zip name once, every XML part well-formed, python-docx opens it);
* or the case is refused, exit 2, with `FILE:LINE: field: message` a person can act on, no
  traceback, and nothing written (no case folder, no temporary file), within a second for the
  bombs, the deep nesting and the 20 MB file.

Either way nothing is written outside the output folder: each test lists every file under
tmp_path before and after. The committed corpus is tests/corpus/*.yaml; large inputs are made in
tmp_path at test time.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import textwrap
import threading
from pathlib import Path

import docx
import pytest
import yaml
from conftest import BASE_CASE
from hostile_support import (
    BASE_TEXT_LINE,
    assert_nothing_written,
    assert_only_written_under,
    assert_refused,
    assert_shows,
    draft,
    drafted_letters,
    expected_text,
    letters,
    line_of,
    paragraphs,
    tree,
    with_post_text,
    yaml_quoted,
)

import pipeline.case.yaml
from pipeline.case.load import validate_case
from pipeline.errors import InvalidInput

CORPUS = Path(__file__).resolve().parent / "corpus"
TEXT_LINE = line_of(BASE_CASE, "    text:")  # 11: where a refused post text is reported
# A 1x1 PNG: evidence screenshots must be real images (whole, every checksum right).
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000b49444154789c6360000200000500017a5eab3f0000000049454e44ae426082")
SERIOUS = BASE_CASE.replace("[negative_comment]", "[threat_of_violence]")


# --- running one case ----------------------------------------------------------------------------


def write(tmp_path: Path, text: str | bytes, name: str = "case.yaml") -> Path:
    """The case file tmp_path/data/NAME (a data folder, so 'outside' has a meaning)."""
    path = tmp_path / "data" / name
    path.parent.mkdir(exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def draft_confined(tmp_path: Path, case: Path, *more: object):
    """Draft `case` into tmp_path/out, checking nothing is written anywhere else."""
    out = tmp_path / "out"
    before = tree(tmp_path)
    run = draft(case, out, *more)
    assert_only_written_under(before, tree(tmp_path), out)
    return run, out


def rendered(tmp_path: Path, text: str | bytes) -> tuple[Path, list[Path]]:
    """Draft a case that must succeed: exit 0, sound letters. Returns (case file, letters)."""
    case = write(tmp_path, text)
    run, out = draft_confined(tmp_path, case)
    assert run.exit_code == 0, run.result.output
    assert run.stderr == ""
    found = drafted_letters(out)
    assert found, "no letter written"
    return case, found


def concern_letter(tmp_path: Path, text: str | bytes) -> Path:
    _, found = rendered(tmp_path, text)
    (letter,) = [p for p in found if p.name.endswith("-01-concern.docx")]
    return letter


def refused(tmp_path: Path, text: str | bytes, line: int | None, *fragments: str,
            field: str | None = None, name: str = "case.yaml") -> str:
    """Draft a case that must be refused at `line`; nothing may be written."""
    case = write(tmp_path, text, name)
    run, out = draft_confined(tmp_path, case)
    problem = assert_refused(run, case, line, *fragments, field=field)
    assert_nothing_written(out)
    return problem


def post_with(raw: str) -> str:
    """The base case whose post text is `raw`, written as a YAML double-quoted scalar."""
    return with_post_text(BASE_CASE, yaml_quoted(raw))


# --- 1. control characters ----------------------------------------------------------------------

# What each C0 control becomes, by the documented rules; every other one is refused by name.
C0_KEPT = {0x09: "\t", 0x0A: "\n", 0x0B: "\n", 0x0C: "\n", 0x0D: "\n"}
C0_NAMES = {0x00: "NUL", 0x07: "BELL", 0x08: "BACKSPACE", 0x1B: "ESCAPE"}


@pytest.mark.parametrize("code", range(0x20), ids=[f"0x{c:02X}" for c in range(0x20)])
def test_each_c0_control_character_becomes_what_it_means_or_is_refused(tmp_path, code):
    raw = f"before{chr(code)}after"
    if code in C0_KEPT:
        letter = concern_letter(tmp_path, post_with(raw))
        assert_shows(letter, f"before{C0_KEPT[code]}after")
        assert expected_text(raw) == f"before{C0_KEPT[code]}after"
    else:
        problem = refused(tmp_path, post_with(raw), TEXT_LINE, f"U+{code:04X}",
                          "(line 1 of the text)", "which a Word document cannot hold",
                          field="posts[1].text")
        assert C0_NAMES.get(code, "control character") in problem


def test_a_refused_character_is_placed_on_its_line_of_the_text(tmp_path):
    refused(tmp_path, post_with("one\ntwo\nth\x1bree"), TEXT_LINE, "U+001B (ESCAPE)",
            "(line 3 of the text)", field="posts[1].text")


# Beyond C0: what the pipeline keeps, turns into a line break, or refuses.
OTHER_CHARACTERS = {
    "DEL U+007F": ("a\x7fb", "a\x7fb"),
    "NEL U+0085": ("a\x85b", "a\nb"),
    "C1 CSI U+009B": ("a\x9bb", "a\x9bb"),
    "LINE SEPARATOR U+2028": ("a\u2028b", "a\nb"),
    "PARAGRAPH SEPARATOR U+2029": ("a\u2029b", "a\nb"),
    "CRLF": ("a\r\nb", "a\nb"),
    "CR CR LF": ("a\r\r\nb", "a\n\nb"),
    "mixed breaks": ("1\r2\v3\f4\u20285\u20296\x857\r\n8\n9", "1\n2\n3\n4\n5\n6\n7\n8\n9"),
    "tabs": ("\tcol1\tcol2\t\tcol4", "\tcol1\tcol2\t\tcol4"),
    "leading and trailing spaces": ("   indented   ", "   indented   "),
    # One final line break is taken as the end of YAML's `|` block, not the poster's; the rest
    # are the poster's and kept.
    "trailing line breaks": ("last words\n\n\r\n\v", "last words\n\n\n"),
    "ZWNBSP U+FEFF mid-text": ("a\ufeffb", "a\ufeffb"),
    "noncharacter U+FDD0": ("a\ufdd0b", "a\ufdd0b"),
}


@pytest.mark.parametrize("raw, shown", OTHER_CHARACTERS.values(), ids=OTHER_CHARACTERS.keys())
def test_other_characters_are_kept_or_become_line_breaks(tmp_path, raw, shown):
    assert expected_text(raw) == shown  # the documented rules say the same
    assert_shows(concern_letter(tmp_path, post_with(raw)), shown)


REFUSED_CHARACTERS = {
    "U+FFFE": ("a\ufffeb", "U+FFFE"),
    "U+FFFF": ("a\uffffb", "U+FFFF"),
    "lone high surrogate": ("a\ud800b", "U+D800 (a lone surrogate"),
    "lone low surrogate": ("a\udfffb", "U+DFFF (a lone surrogate"),
    # JSON's way of writing an emoji; YAML reads each half as a character of its own.
    "escaped surrogate pair": ("a\ud83d\ude00b", "U+D83D (a lone surrogate"),
}


@pytest.mark.parametrize("raw, named", REFUSED_CHARACTERS.values(), ids=REFUSED_CHARACTERS.keys())
def test_characters_word_cannot_hold_are_refused_by_name(tmp_path, raw, named):
    refused(tmp_path, post_with(raw), TEXT_LINE, named, "cannot hold", field="posts[1].text")


LINE_FIELDS = {  # a one-line field of the base case: (text to replace, field, its line)
    "poster.name": ("  name: Mrs Jane Doe\n", "  name: {}\n", 4),
    "posts[1].url": ("    url: https://www.facebook.com/groups/123/posts/456\n",
                     "    url: {}\n", 9),
}


@pytest.mark.parametrize("field", LINE_FIELDS)
@pytest.mark.parametrize("raw, outcome", [
    ("Jane\x07Doe", "U+0007 (BELL)"),
    ("Jane\vDoe", "must be on one line"),
    ("Jane\u2028Doe", "must be on one line"),
])
def test_one_line_fields_refuse_controls_and_line_breaks(tmp_path, field, raw, outcome):
    old, new, line = LINE_FIELDS[field]
    refused(tmp_path, BASE_CASE.replace(old, new.format(yaml_quoted(raw))), line, outcome,
            field=field)


def test_a_tab_in_a_name_stays_a_tab(tmp_path):
    text = BASE_CASE.replace("  name: Mrs Jane Doe\n", '  name: "Mrs\\tJane Doe"\n')
    letter = concern_letter(tmp_path, text)
    assert_shows(letter, "Mrs\tJane Doe")
    assert_shows(letter, "Dear Mrs\tJane Doe")


@pytest.mark.parametrize("char", ["\x0b", "\x1b"], ids=["VT", "ESC"])
def test_a_control_character_typed_into_the_file_is_refused_at_its_line(tmp_path, char):
    text = BASE_CASE.replace("are a joke.", f"are a{char} joke.")
    case = write(tmp_path, text)
    run, out = draft_confined(tmp_path, case)
    if run.exit_code == 0:  # as it would be written as an escape: a line break
        assert_shows(drafted_letters(out)[0], expected_text("The teachers at this school are a"
                                                            f"{char} joke."))
    else:
        assert_refused(run, case, TEXT_LINE)
        assert_nothing_written(out)


@pytest.mark.parametrize("char", ["\u2028", "\x85"], ids=["U+2028", "U+0085"])
def test_a_raw_unicode_line_separator_in_a_block_post_is_a_line_break(tmp_path, char):
    text = BASE_CASE.replace(BASE_TEXT_LINE, f"    text: |\n      one{char}two\n")
    case = write(tmp_path, text)
    run, out = draft_confined(tmp_path, case)
    if run.exit_code == 0:
        assert_shows(drafted_letters(out)[0], "one\ntwo")
    else:
        assert_refused(run, case, TEXT_LINE + 1, f"U+{ord(char):04X}")
        assert_nothing_written(out)


# --- 2. markup, entities and template tags --------------------------------------------------------

MARKUP = {
    "entities": "Fish &amp; chips &lt;b&gt; &#x41; &#65; &nbsp; &unknown; & < > \" ' a lone &",
    "html": "<b>bold</b> <i>it</i> <script>alert(\"x\")</script> <img src=x onerror=alert(1)>",
    "wordml": "</w:t></w:r></w:p><w:p><w:r><w:t>injected</w:t></w:r><w:br/><w:tab/>",
    "cdata and comments": "]]> <![CDATA[ x ]]> <!-- c --> <?xml version=\"1.0\"?> -->",
    "doctype": "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]> &e;",
    "jinja": "{{ school.name }} {{ 7*7 }} {% if true %}yes{% endif %} {# c #} {%- raw %}",
    "docxtpl": "{%p if x %} {%tr for r in rows %} {%tc endfor %} {%r x %} {{r x }} {%p endif %}",
    "docxtpl escapes": "{_{ a }_} {_% b %_} }_} %_} {{{{ }}}} }} %} #}",
    "sandbox bait": "{{ ''.__class__.__mro__[1].__subclasses__() }} {% include '/etc/passwd' %}",
    "backslashes and formats": "\\n \\t \\a \\x07 %(name)s {0} ${HOME} $(id) `id` %s %n",
    "template tag across lines": "{{ school\n.name }} {%p\nif x %}",
}


@pytest.mark.parametrize("raw", MARKUP.values(), ids=MARKUP.keys())
def test_markup_and_template_tags_are_printed_as_typed(tmp_path, raw):
    assert_shows(concern_letter(tmp_path, post_with(raw)), raw)


def test_hostile_markup_in_every_field_of_the_corpus_case(tmp_path):
    source = CORPUS / "markup-and-template-tags.yaml"
    data = yaml.safe_load(source.read_text("utf-8"))
    letter = concern_letter(tmp_path, source.read_bytes())
    poster, post = data["poster"], data["posts"][0]
    assert_shows(letter, poster["name"])
    assert_shows(letter, f"Dear {poster['salutation']}")
    for line in poster["address"]:
        assert_shows(letter, line)
    assert_shows(letter, expected_text(post["text"]))
    assert any(f"({post['url']}):" in p for p in paragraphs(letter))


def test_every_letter_kind_shows_a_hostile_post_intact(tmp_path):
    """A case planning warning, host_takedown, police_referral, legal_referral and
    access_restriction; each letter shows both hostile posts exactly (tables included)."""
    p1 = "Fish &amp; <b>chips</b> ]]> {{ school.name }} {%tr x %}\tTab\vVT ŵ 漢字 \U0001F468\u200d\U0001F469"
    p2 = "<!-- x --> {#p y #} {_{ z }_}\r\nCRLF \u202eRTL\u202c \u05e9\u05dc\u05d5\u05dd"
    text = f"""\
        case_id: T-ALL
        opened: 2026-11-02
        poster:
          name: Mrs Jane Doe
          address: [12 Example Road, Bexton, WA16 0XX]
        posts:
          - id: P1
            platform: facebook
            url: "https://www.facebook.com/groups/123/posts/456?a=1&b=2"
            posted: 2026-10-30
            text: {yaml_quoted(p1)}
            concerns: [defamatory, threat_of_violence]
            about: [{{role: staff, name: Mr A Teacher}}]
          - id: P2
            platform: school_forum
            url: https://forum.example/t/9
            posted: 2026-10-31
            text: {yaml_quoted(p2)}
            concerns: [negative_comment]
        history:
          - {{date: 2026-11-01, step: discussion, outcome: refused, by: Headteacher}}
        """
    _, found = rendered(tmp_path, textwrap.dedent(text))
    manifest = json.loads((tmp_path / "out" / "T-ALL" / "manifest.json").read_text("utf-8"))
    about = {e["files"]["docx"]: (e["kind"], e["posts"]) for e in manifest["letters"]}
    assert sorted(kind for kind, _ in about.values()) == [
        "access_restriction", "host_takedown", "legal_referral", "police_referral", "warning"]
    raw = {"P1": p1, "P2": p2}
    for letter in found:
        shown = paragraphs(letter)
        kind, posts = about[letter.name]
        assert posts, f"{letter.name} quotes no post"
        for post_id in posts:
            assert expected_text(raw[post_id]) in shown, f"{kind} does not show {post_id} intact"


# --- 3. scripts, emoji and invisible formatting ---------------------------------------------------

SCRIPTS = {
    "arabic": "\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0645\u062f\u0631\u0633\u0629 123",
    "hebrew": "\u05e9\u05dc\u05d5\u05dd \u05dc\u05d1\u05d9\u05ea \u05d4\u05e1\u05e4\u05e8 (123)",
    "welsh": "Mae'r \u0175yn yn y t\u0177; \u0175 \u0177 \u0174 \u0176 \u1e81 \u1e83 \u1e85",
    "cjk": "\u5b66\u6821\u306e\u5148\u751f \u6f22\u5b57 \ud55c\uad6d\uc5b4 \U0002000b",
    "zwj family": "\U0001F469\u200d\U0001F469\u200d\U0001F467 \U0001F468\u200d\U0001F469\u200d"
                  "\U0001F467\u200d\U0001F466",
    "flags": "\U0001F1EC\U0001F1E7 \U0001F3F4\U000E0067\U000E0062\U000E0077\U000E006C"
             "\U000E0073\U000E007F \U0001F3F3\ufe0f\u200d\U0001F308",
    "skin tones": "\U0001F44D\U0001F3FD \U0001F44B\U0001F3FF \U0001F9D1\U0001F3FB\u200d"
                  "\U0001F91D\u200d\U0001F9D1\U0001F3FF 1\ufe0f\u20e3",
    "zero width": "a\u200bb\u200cc\u200dd\u2060e",
    "bidi override": "invoice\u202egnp.exe\u202c done",
    "bidi isolates": "\u2066isolate\u2069 \u2067rtl\u2069 \u2068first\u2069 \u200e\u200f\u061c",
    "combining": "e\u0301 vs \u00e9, Z\u0351\u0308\u0324\u0336algo",
    "astral maths": "\U0001D518\U0001D52B\U0001D526\U0001D520\U0001D52C\U0001D521\U0001D522",
}


@pytest.mark.parametrize("raw", SCRIPTS.values(), ids=SCRIPTS.keys())
def test_scripts_emoji_and_invisible_formatting_survive_exactly(tmp_path, raw):
    assert_shows(concern_letter(tmp_path, post_with(raw)), raw)


def test_the_scripts_corpus_case_survives_in_every_field(tmp_path):
    source = CORPUS / "scripts-and-emoji.yaml"
    data = yaml.safe_load(source.read_text("utf-8"))
    letter = concern_letter(tmp_path, source.read_bytes())
    assert_shows(letter, data["poster"]["name"])
    assert_shows(letter, f"Dear {data['poster']['salutation']}")
    assert_shows(letter, "12 Heol y D\u0175r")
    assert_shows(letter, expected_text(data["posts"][0]["text"]))
    assert any("(https://x.com/\u0175\u0177/status/1):" in p for p in paragraphs(letter))


# --- 4. size ---------------------------------------------------------------------------------------


def test_a_200_kb_post_is_printed_whole(tmp_path):
    line = ("Lorem ipsum & <b>dolor</b> {{ sit }} \u0645\u0631\u062d\u0628\u0627 \u0175\u0177 "
            "\u6f22\u5b57 \U0001F468\u200d\U0001F469\u200d\U0001F467\tend\n")
    body = line * (200 * 1024 // len(line.encode()) + 1)
    assert len(body.encode()) > 200 * 1024
    text = BASE_CASE.replace(BASE_TEXT_LINE,
                             "    text: |\n" + textwrap.indent(body, " " * 6))
    letter = concern_letter(tmp_path, text)
    assert_shows(letter, expected_text(body))


def test_300_posts_are_each_quoted_and_logged(tmp_path):
    head, rest = SERIOUS.split("posts:\n")
    one_post, tail = rest.split("history:")
    posts = "".join(one_post.replace("id: P1", f"id: P{i}").replace(
        "The teachers at this school are a joke.", yaml_quoted(f'Post {i}: "{i}" & <{i}> {{{{ {i} }}}}'))
        for i in range(1, 301))
    _, found = rendered(tmp_path, head + "posts:\n" + posts + "history:" + tail)
    concern = next(p for p in found if "warning" in p.name)  # serious: a warning at once
    shown = paragraphs(concern)
    for i in range(1, 301):
        assert f'Post {i}: "{i}" & <{i}> {{{{ {i} }}}}' in shown
    police = next(p for p in found if "police_referral" in p.name)
    (log,) = docx.Document(police).tables
    assert len(log.rows) == 1 + 300


def test_very_long_names_and_addresses_are_printed_whole(tmp_path):
    name = "Mrs " + "-".join(["Ab\u0175\u0177-<&>-\"q\""] * 250)  # about 3,000 characters
    address = [f"{i} " + "Long Road & Lane, " * 15 + "Bexton" for i in range(1, 101)]
    text = BASE_CASE.replace("  name: Mrs Jane Doe\n", f"  name: {yaml_quoted(name)}\n").replace(
        "  address: [12 Example Road, Bexton, WA16 0XX]\n",
        "  address:\n" + "".join(f"    - {yaml_quoted(a)}\n" for a in address))
    letter = concern_letter(tmp_path, text)
    shown = paragraphs(letter)
    assert name in shown and f"Dear {name}" in shown
    assert all(line in shown for line in address)


def test_urls_with_ampersands_and_quotes_are_printed_whole(tmp_path):
    url = "https://example.org/p?a=1&b=2&amp;c=\"q\"&d='s'&e=<x>#frag&{{ y }}"
    text = BASE_CASE.replace("    url: https://www.facebook.com/groups/123/posts/456\n",
                             f"    url: {yaml_quoted(url)}\n")
    letter = concern_letter(tmp_path, text)
    assert any(p.endswith(f"on Facebook ({url}):") for p in paragraphs(letter))


def test_a_20_mb_file_is_refused_at_once(tmp_path):
    case = write(tmp_path, b"")
    with open(case, "wb") as handle:
        handle.write(BASE_CASE.encode())
        handle.write(b"# " + b"x" * (20 * 1024 * 1024) + b"\n")
    run, out = draft_confined(tmp_path, case)
    assert_refused(run, case, None, "is 20.0 MB; a case file must be under 5 MB")
    assert_nothing_written(out)
    assert run.seconds < 1


# --- 5. YAML structure: aliases, nesting, tags, encodings ------------------------------------------


def test_billion_laughs_is_refused_at_its_first_alias_at_once(tmp_path):
    text = (CORPUS / "billion-laughs.yaml").read_text("utf-8")
    case = write(tmp_path, text)
    run, out = draft_confined(tmp_path, case)
    assert_refused(run, case, line_of(text, "lol1:"), "uses a YAML alias (*a0)", field="lol1[1]")
    assert_nothing_written(out)
    assert run.seconds < 1


def test_an_alias_bomb_inside_a_valid_case_is_refused_at_once(tmp_path):
    bomb = "".join(f"      - &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]\n"
                   for i in range(1, 12))
    text = BASE_CASE.replace("  name: Mrs Jane Doe\n",
                             "  name: Mrs Jane Doe\n  children:\n    - &l0 {name: lol}\n"
                             "    - name:\n" + bomb)
    case = write(tmp_path, text)
    run, out = draft_confined(tmp_path, case)
    assert_refused(run, case, line_of(text, "&l1 ["), "uses a YAML alias (*l0)")
    assert_nothing_written(out)
    assert run.seconds < 1


def test_anchors_aliases_and_merge_keys_are_refused_at_their_lines(tmp_path):
    text = (CORPUS / "merge-key-and-anchors.yaml").read_text("utf-8")
    case = write(tmp_path, text)
    run, out = draft_confined(tmp_path, case)
    assert_refused(run, case, line_of(text, "salutation: *who"), "uses a YAML alias (*who)",
                   field="poster.salutation")
    assert_refused(run, case, line_of(text, "<<: *post"), "uses a YAML merge key (<<)")
    assert_nothing_written(out)


@pytest.mark.parametrize("depth", [41, 5_000, 100_000])
def test_deep_flow_nesting_is_refused_at_its_line_at_once(tmp_path, depth):
    text = BASE_CASE + "extra: " + "[" * depth + "]" * depth + "\n"
    case = write(tmp_path, text)
    run, out = draft_confined(tmp_path, case)
    assert_refused(run, case, line_of(text, "extra:"), "nested too deeply")
    assert_nothing_written(out)
    assert run.seconds < 1


def test_block_nesting_a_hundred_deep_is_refused_at_its_line(tmp_path):
    text = BASE_CASE + "extra:\n  " + "- " * 100 + "x\n"
    refused(tmp_path, text, line_of(text, "- - -"), "is nested too deeply to be part of a case file")


def test_block_nesting_ten_thousand_deep_is_refused_at_once(tmp_path):
    text = BASE_CASE + "extra:\n  " + "- " * 10_000 + "x\n"
    case = write(tmp_path, text)
    run, out = draft_confined(tmp_path, case)
    assert run.exit_code == 2, run.result.output
    assert run.stderr.startswith(f"{case}:{line_of(text, '- - -')}: is nested too deeply")
    assert "Traceback" not in run.result.output
    assert_nothing_written(out)
    assert run.seconds < 1


def test_deep_block_nesting_names_its_line(tmp_path):
    text = BASE_CASE + "extra:\n  " + "- " * 10_000 + "x\n"
    refused(tmp_path, text, line_of(text, "- - -"), "nested too deeply")


def test_a_few_brackets_in_a_post_are_text(tmp_path):
    raw = "so sad :-[ " * 20 + "{{{{ [[[["
    assert_shows(concern_letter(tmp_path, post_with(raw)), raw)


def test_many_unclosed_brackets_in_a_post_are_text(tmp_path):
    raw = "so sad :-[ " * 41
    assert_shows(concern_letter(tmp_path, post_with(raw)), raw.rstrip("\n"))


def test_python_object_tags_are_refused_and_nothing_runs(tmp_path):
    text = (CORPUS / "python-object-tag.yaml").read_text("utf-8")
    text = text.replace("/tmp/bexton-hostile-pwned", str(tmp_path / "pwned"))
    case = write(tmp_path, text)
    run, out = draft_confined(tmp_path, case)
    assert_refused(run, case, line_of(text, "name: !!python"), "uses the YAML tag",
                   "python/name:os.system", field="poster.name")
    assert_refused(run, case, line_of(text, "text: !!python"), field="posts[1].text")
    assert_nothing_written(out)
    assert not (tmp_path / "pwned").exists()


def test_a_tag_on_a_list_is_refused_at_its_line(tmp_path):
    text = BASE_CASE.replace("  address: [12 Example Road, Bexton, WA16 0XX]",
                             '  address: !!python/object/apply:os.system ["echo pwned"]')
    refused(tmp_path, text, line_of(text, "address:"), "uses the YAML tag")


@pytest.mark.parametrize("text, needle, message", [
    (BASE_CASE + "---\n" + BASE_CASE, "---", "expected a single document"),
    (BASE_CASE.replace("  name: Mrs Jane Doe", '  name: "Mrs Jane Doe'), 'name: "Mrs',
     "found unexpected end of stream"),
    (BASE_CASE.replace("opened: 2026-11-02", "opened: " + "9" * 5000), "opened: 999",
     "not a date in ISO form"),
    (BASE_CASE.replace("  name: Mrs Jane Doe", "  name: Mrs Jane Doe\n  name: Mr Evil"),
     "name: Mr Evil", "appears twice"),
    (BASE_CASE.replace("  name: Mrs Jane Doe", "  name: no"), "name: no", "yes/no value"),
], ids=["two documents", "unclosed quote", "5000-digit date", "duplicate key", "surprise boolean"])
def test_malformed_yaml_is_refused_at_its_line(tmp_path, text, needle, message):
    refused(tmp_path, text, line_of(text, needle), message)


def test_byte_order_mark_and_crlf_keep_a_hostile_post_intact(tmp_path):
    body = "Fish &amp; <b>chips</b>\n{{ school.name }} {%p if x %}\n\u0175 \u05e9\u05dc\u05d5\u05dd\n"
    text = BASE_CASE.replace(BASE_TEXT_LINE,
                             "    text: |\n" + textwrap.indent(body, " " * 6))
    data = b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8")
    assert_shows(concern_letter(tmp_path, data), expected_text(body))


def test_crlf_in_a_quoted_post_is_one_line_break(tmp_path):
    data = b"\xef\xbb\xbf" + post_with("one\r\ntwo\rthree").replace("\n", "\r\n").encode()
    assert_shows(concern_letter(tmp_path, data), "one\ntwo\nthree")


def test_a_file_that_is_not_utf8_is_refused_at_its_line(tmp_path):
    data = BASE_CASE.encode("utf-8").replace(b"a joke", b"a jok\xe9")  # Latin-1, as Notepad saves
    refused(tmp_path, data, TEXT_LINE, "is not UTF-8 text")


# --- 6. things named as case files that are not case files -----------------------------------------


def test_a_folder_is_refused(tmp_path):
    empty, named_like_a_case = tmp_path / "data" / "empty", tmp_path / "data" / "case.yaml"
    empty.mkdir(parents=True)
    named_like_a_case.mkdir()
    for target in (empty, named_like_a_case):
        run, out = draft_confined(tmp_path, target)
        assert_refused(run, target, None, "is a folder, not a case file")
        assert_nothing_written(out)


def test_a_folder_holding_only_a_folder_named_yaml_is_refused(tmp_path):
    folder = tmp_path / "data"
    (folder / "old.yaml").mkdir(parents=True)
    run = letters("check", folder)
    assert run.exit_code == 2, run.result.output
    assert f"{folder}" in run.stderr


def test_an_unreadable_file_is_refused_plainly(tmp_path, monkeypatch):
    case = write(tmp_path, BASE_CASE)

    def denied(path, *args, **kwargs):
        if Path(path) == case:
            raise PermissionError(13, "Permission denied", str(path))
        return open(path, *args, **kwargs)

    # Root reads any file whatever its mode, so the refusal is simulated where the case is read.
    monkeypatch.setattr(pipeline.case.yaml, "open", denied, raising=False)
    run, out = draft_confined(tmp_path, case)
    assert_refused(run, case, None, "cannot be read (permission denied)")
    assert_nothing_written(out)


@pytest.mark.skipif(os.geteuid() == 0, reason="running as root, which can read a file whatever "
                    "its mode; test_an_unreadable_file_is_refused_plainly simulates it instead")
def test_a_file_without_read_permission_is_refused(tmp_path):
    case = write(tmp_path, BASE_CASE)
    case.chmod(0)
    run, out = draft_confined(tmp_path, case)
    assert_refused(run, case, None, "cannot be read (permission denied)")
    assert_nothing_written(out)


def test_a_named_pipe_is_refused_at_once(tmp_path):
    fifo = tmp_path / "case.yaml"
    os.mkfifo(fifo)
    outcome: list[BaseException | None] = []

    def check() -> None:
        try:
            validate_case(fifo)
            outcome.append(None)
        except InvalidInput as exc:
            outcome.append(exc)

    worker = threading.Thread(target=check, daemon=True)
    worker.start()
    worker.join(1.0)
    hung = worker.is_alive()
    if hung:  # unblock the reader, so no thread is left behind
        with open(fifo, "wb"):
            pass
        worker.join(5)
    assert not hung, "reading a named pipe as a case file hangs"
    assert isinstance(outcome[0], InvalidInput)


def test_a_symlinked_case_file_outside_the_data_folder_is_read_and_confined(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "evidence").mkdir(parents=True)
    (elsewhere / "case.yaml").write_text(post_with("linked & <b>intact</b>"), encoding="utf-8")
    link = tmp_path / "data" / "linked.yaml"
    link.parent.mkdir()
    link.symlink_to(elsewhere / "case.yaml")
    run, out = draft_confined(tmp_path, link)
    assert run.exit_code == 0, run.result.output
    (letter,) = drafted_letters(out)
    assert_shows(letter, "linked & <b>intact</b>")


def test_a_symlinked_case_file_takes_evidence_from_its_own_folder_only(tmp_path):
    """Evidence is relative to the case file as named: a screenshot beside the link's target
    (outside the data folder) is never read."""
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "evidence").mkdir(parents=True)
    (elsewhere / "evidence" / "s.png").write_bytes(PNG)
    text = SERIOUS.replace("    status: live", "    evidence: evidence/s.png\n    status: live")
    (elsewhere / "case.yaml").write_text(text, encoding="utf-8")
    link = tmp_path / "data" / "linked.yaml"
    link.parent.mkdir()
    link.symlink_to(elsewhere / "case.yaml")
    run, out = draft_confined(tmp_path, link)
    assert_refused(run, link, line_of(text, "evidence:"), "no screenshot at 'evidence/s.png'",
                   field="posts[1].evidence")
    assert_nothing_written(out)


# --- 7. confinement: ids, platform names and evidence paths --------------------------------------


@pytest.mark.parametrize("case_id", ["../../outside", "..", "/etc/cron.d/x", "a/b", "a\\b",
                                     ".hidden", "x" * 65, "T-001\x00", "T 001"])
def test_a_case_id_that_is_not_a_plain_name_is_refused(tmp_path, case_id):
    text = BASE_CASE.replace("case_id: T-001", f"case_id: {yaml_quoted(case_id)}")
    refused(tmp_path, text, 1, field="case_id")


@pytest.mark.parametrize("post_id", ["../../P1", "/P1", "P1/../..", "P 1"])
def test_a_post_id_that_is_not_a_plain_name_is_refused(tmp_path, post_id):
    text = BASE_CASE.replace("  - id: P1", f"  - id: {yaml_quoted(post_id)}")
    refused(tmp_path, text, line_of(text, "- id:"), "cannot name a file", field="posts[1].id")


@pytest.mark.parametrize("platform_name, slug", [
    ("../../etc", "etc"), ("a/b\\c", "a-b-c"), ("..", "other"), ("/", "other"),
    ("C:\\Windows\\System32", "c-windows-system32"), ("~/.ssh/authorized_keys",
                                                       "ssh-authorized-keys"),
])
def test_a_platform_name_never_leads_outside_the_case_folder(tmp_path, platform_name, slug):
    text = SERIOUS.replace("platform: facebook",
                           f"platform: other\n    platform_name: {yaml_quoted(platform_name)}")
    _, found = rendered(tmp_path, text)
    out = tmp_path / "out"
    assert {p.parent for p in found} == {out / "T-001"}
    takedown = out / "T-001" / f"T-001-02-host_takedown-{slug}.docx"
    assert takedown in found
    assert_shows(takedown, f"Notice of unlawful content on {platform_name} and request for its "
                           "removal")


def _evidence_case(tmp_path: Path, evidence: str) -> tuple[Path, str]:
    text = SERIOUS.replace("    status: live", f"    evidence: {yaml_quoted(evidence)}\n"
                                              "    status: live")
    return write(tmp_path, text), text


@pytest.mark.parametrize("evidence", ["../../outside.png", "../outside.png",
                                      "evidence/../../outside.png", "/etc/passwd", "ABSOLUTE",
                                      "evidence/link.png", "linked-folder/outside.png"])
def test_evidence_outside_the_case_folder_is_refused_at_its_line(tmp_path, evidence):
    (tmp_path / "outside.png").write_bytes(PNG)
    (tmp_path / "data" / "evidence").mkdir(parents=True)
    (tmp_path / "data" / "evidence" / "link.png").symlink_to(tmp_path / "outside.png")
    (tmp_path / "data" / "linked-folder").symlink_to(tmp_path)
    if evidence == "ABSOLUTE":
        evidence = str(tmp_path / "outside.png")
    case, text = _evidence_case(tmp_path, evidence)
    run, out = draft_confined(tmp_path, case)
    assert_refused(run, case, line_of(text, "evidence:"), "points outside the case file's folder",
                   field="posts[1].evidence")
    assert_nothing_written(out)


def test_evidence_linked_inside_the_case_folder_is_used(tmp_path):
    folder = tmp_path / "data" / "evidence"
    folder.mkdir(parents=True)
    (folder / "real.png").write_bytes(PNG)
    (folder / "link.png").symlink_to(folder / "real.png")
    case, _ = _evidence_case(tmp_path, "evidence/link.png")
    run, out = draft_confined(tmp_path, case)
    assert run.exit_code == 0, run.result.output
    police = next(p for p in drafted_letters(out) if "police_referral" in p.name)
    # Letters to third parties name a screenshot by its number, never by its file (issue 12).
    assert docx.Document(police).inline_shapes[0]._inline.docPr.get("descr") == \
        "Screenshot of P1 (screenshot 1)"


def test_evidence_file_names_with_markup_are_escaped(tmp_path):
    name = "evidence/a&b\"c'<d> {{ e }}.png"
    (tmp_path / "data" / "evidence").mkdir(parents=True)
    (tmp_path / "data" / name).write_bytes(PNG)
    case, _ = _evidence_case(tmp_path, name)
    run, out = draft_confined(tmp_path, case)
    assert run.exit_code == 0, run.result.output
    police = next(p for p in drafted_letters(out) if "police_referral" in p.name)
    (shape,) = docx.Document(police).inline_shapes
    # The police see the screenshot's number, not its file name (issue 12).
    assert shape._inline.docPr.get("descr") == "Screenshot of P1 (screenshot 1)"


def test_an_evidence_name_too_long_for_the_file_system_is_refused_at_its_line(tmp_path):
    (tmp_path / "data" / "evidence").mkdir(parents=True)
    case, text = _evidence_case(tmp_path, "evidence/" + "a" * 300 + ".png")
    run, out = draft_confined(tmp_path, case)
    assert_refused(run, case, line_of(text, "evidence:"), field="posts[1].evidence")
    assert_nothing_written(out)


# --- 8. names that are short or odd -----------------------------------------------------------------


def test_a_pupil_with_a_two_letter_name_does_not_block_third_party_letters(tmp_path):
    text = SERIOUS.replace("  address:", "  children: [{name: Al}]\n  address:")
    _, found = rendered(tmp_path, text)
    assert any("police_referral" in p.name for p in found)


# --- 9. a real word processor ----------------------------------------------------------------------


def test_libreoffice_shows_a_hostile_letter_intact(tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        pytest.skip("LibreOffice (soffice) not installed: run make system-deps")
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) not installed: run make system-deps")
    letter = concern_letter(tmp_path, (CORPUS / "markup-and-template-tags.yaml").read_bytes())
    pdf_dir = tmp_path / "pdf"
    profile = tmp_path / "lo-profile"
    subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless",
                    "--norestore", "--convert-to", "pdf", "--outdir", str(pdf_dir), str(letter)],
                   check=True, capture_output=True, timeout=120, stdin=subprocess.DEVNULL,
                   env={**os.environ, "HOME": str(profile)})
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf_dir / (letter.stem + ".pdf")),
                           "-"], capture_output=True, text=True, check=True, timeout=60).stdout

    def flat(s: str) -> str:  # LibreOffice wraps long lines where it likes, even mid-token
        return "".join(s.split())

    data = yaml.safe_load((CORPUS / "markup-and-template-tags.yaml").read_text("utf-8"))
    for line in data["posts"][0]["text"].splitlines() + data["poster"]["address"] + [
            data["poster"]["name"], f"Dear {data['poster']['salutation']}"]:
        assert flat(line) in flat(text), f"the PDF does not show {line!r}"
    assert "Bexton Primary School Doe" not in text  # {{ school.name }} printed, not filled in
