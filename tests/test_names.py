"""The pupil-name matcher and redactor (pipeline.case.names).

Two promises are tested side by side: no pupil's full name reaches a letter to a third party in
any spelling (privacy), and nothing but a pupil's name is ever rewritten (the posts are evidence).
"""

from __future__ import annotations

import time
import unicodedata

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from pipeline.case.names import Hit, NameMatcher, Pupil, Redaction, initials, line_col

CHLOE = Pupil("Chloe Smith")
WILL = Pupil("Will Dutton")
ZOE = Pupil("Zoë Bélanger")
LIAM = Pupil("Liam O'Brien")
OLIVER = Pupil("Oliver-James McKenzie")
ADULTS = ("Mrs Leanne Dutton", "Mr John Smith")


def matcher(*pupils: Pupil, keep=ADULTS) -> NameMatcher:
    return NameMatcher(pupils or (CHLOE, WILL, ZOE, LIAM, OLIVER), keep=keep)


def assert_outside_unchanged(text: str, red: Redaction) -> None:
    """Every character outside the hits is the original's; each hit is exactly its slice."""
    rebuilt, last = [], 0
    for hit in red.hits:
        assert last <= hit.start < hit.end <= len(text)
        assert text[hit.start:hit.end] == hit.found
        rebuilt += [text[last:hit.start], hit.replacement]
        last = hit.end
    rebuilt.append(text[last:])
    assert "".join(rebuilt) == red.text


# --- initials ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name, expected", [
    ("Chloe Smith", "C.S."), ("Oliver-James McKenzie", "O.J.M."), ("Liam O'Brien", "L.O."),
    ("Zoë Bélanger", "Z.B."), ("zoe\u0308 be\u0301langer", "Z.B."), ("𝐂𝐡𝐥𝐨𝐞 Ｓｍｉｔｈ", "C.S."),
    ("  Sam  ", "S."), ("Haddad", "H."), ("J.R.R. Tolkien", "J.R.R.T."), ("'Sammy'", "S."),
    ("Chlo\u00ade\u200b Smith", "C.S."), ("", ""), ("  -- ", ""), ("łukasz nowak", "Ł.N."),
])
def test_initials(name, expected):
    assert initials(name) == expected


def test_initials_refuses_non_text():
    with pytest.raises(TypeError):
        initials(None)  # type: ignore[arg-type]


# --- every leak form in the issue is found and redacted -------------------------------------------


@pytest.mark.parametrize("text, expected", [
    ("Zoe\u0308 Be\u0301langer was there", "[Z.B.] was there"),  # typed on a phone (NFD)
    ("Zoe Belanger was there", "[Z.B.] was there"),  # accents left off
    ("ZOË BÉLANGER", "[Z.B.]"),
    ("I saw 𝐂𝐡𝐥𝐨𝐞 𝐒𝐦𝐢𝐭𝐡 today", "I saw [C.S.] today"),  # maths bold
    ("I saw 𝘊𝘩𝘭𝘰𝘦 𝘚𝘮𝘪𝘵𝘩 today", "I saw [C.S.] today"),  # maths sans italic
    ("Ｃｈｌｏｅ　Ｓｍｉｔｈ!", "[C.S.]!"),  # fullwidth letters and space
    ("Chlo\u00ade Smith", "[C.S.]"),  # soft hyphen inside
    ("Chloe\u200b Smi\u200bth", "[C.S.]"),  # zero-width spaces
    ("Chloe \u202eSmith\u202c", "[C.S.]\u202c"),  # bidi controls: the trailing one is outside
    ("Chloe\u2066 Smith\u2069.", "[C.S.]\u2069."),
    ("\ufeffChloe\u2060Smith", "\ufeff[C.S.]"),
    ("#ChloeSmith", "#[C.S.]"),
    ("@chloe_smith", "@[C.S.]"),
    ("@chloe.smith99", "@[C.S.]99"),
    ("Chloe_Smith", "[C.S.]"),
    ("CHLOE SMITH", "[C.S.]"),
    ("chloe smith", "[C.S.]"),
    ("cHlOe sMiTh", "[C.S.]"),
    ("Smith, Chloe", "[C.S.]"),
    ("SMITH Chloe", "[C.S.]"),
    ("SMITH, CHLOE", "[C.S.]"),
    ("Chloe\nSmith", "[C.S.]"),
    ("Chloe\r\n\r\n  Smith", "[C.S.]"),
    ("Chloe\u00a0Smith", "[C.S.]"),
    ("Chloe–Smith", "[C.S.]"),  # en dash
    ("justiceforchloesmith", "justicefor[C.S.]"),
    ("#justiceforchloesmithnow", "#justicefor[C.S.]now"),
    ("JusticeForChloeSmithNow", "JusticeFor[C.S.]Now"),
    ("facebook.com/groups/justiceforchloesmithnow", "facebook.com/groups/justicefor[C.S.]now"),
    ("Liam O’Brien", "[L.O.]"),  # curly apostrophe (the old redactor left "O’Brien")
    ("Liam Oʼbrien", "[L.O.]"),
    ("#LiamOBrien", "#[L.O.]"),
    ("O’Brien, Liam", "[L.O.]"),
    ("Oliver-James McKenzie", "[O.J.M.]"),
    ("Oliver James McKenzie", "[O.J.M.]"),
    ("Oliver McKenzie", "[O.J.M.]"),  # middle name dropped: first + last identify
    ("McKenzie, Oliver-James", "[O.J.M.]"),
    ("McKenzie, Oliver", "[O.J.M.]"),
    ("#OliverJamesMcKenzie", "#[O.J.M.]"),
    ("Chloe Smith's bag", "[C.S.]'s bag"),
    ("(Chloe Smith)", "([C.S.])"),
])
def test_leak_forms_are_redacted(text, expected):
    m = matcher()
    red = m.redact(text)
    assert red.text == expected
    assert red.changed
    assert_outside_unchanged(text, red)
    assert all(h.form == "full" for h in red.hits)
    assert m.full_names(text), "the last check finds it too"
    assert m.full_names(red.text) == []


def test_other_latin_letters_fold():
    m = NameMatcher([Pupil("Łukasz Øyen"), Pupil("Aslı Yılmaz")])
    assert m.redact("Lukasz Oyen and ASLI YILMAZ").text == "[Ł.Ø.] and [A.Y.]"


def test_hit_maps_back_to_the_exact_original_characters():
    text = "Look: Zoe\u0308\u00ad Be\u0301lange\u200br\u0301 here"
    (hit,) = matcher().find(text)
    # combining marks and Cf inside, and the mark after the last letter
    assert hit.found == "Zoe\u0308\u00ad Be\u0301lange\u200br\u0301"
    assert (hit.start, hit.end) == (6, 6 + len(hit.found))
    assert hit.pupil == ZOE and hit.form == "full"
    red = matcher().redact(text)
    assert red.text == "Look: [Z.B.] here"


def test_a_name_at_the_end_of_a_joined_run_is_found():
    """The old last check joined text runs with nothing between; a paragraph break is a line break
    (the caller's job), and even a run joined to a capitalised word is a word edge."""
    m = matcher()
    assert [h.found for h in m.full_names("It was Chloe Smith\nNext paragraph")] == ["Chloe Smith"]
    assert [h.found for h in m.full_names("It was Chloe SmithNext paragraph")] == ["Chloe Smith"]


def test_last_check_names_the_form_and_where():
    text = "Dear Sir\nThe post said\n  justice for #ChloeSmith now"
    (hit,) = matcher().full_names(text)
    assert hit.found == "ChloeSmith"
    assert line_col(text, hit.start) == (3, 16)
    assert "run together" in hit.variant
    assert isinstance(hit, Hit)


def test_full_names_ignores_known_as_forms():
    m = NameMatcher([Pupil("Samuel Jones", known_as=("Sam",))])
    assert m.full_names("Sam was there") == []
    assert [h.form for h in m.find("Sam was there")] == ["known_as"]


def test_redaction_is_idempotent():
    m = matcher()
    once = m.redact("#ChloeSmith and Zoe Belanger, Smith, Chloe").text
    assert m.redact(once).text == once
    assert not m.redact(once).changed


def test_each_pupil_gets_their_own_initials():
    m = NameMatcher([CHLOE, Pupil("Tom Smith"), ZOE])
    red = m.redact("Tom Smith, Chloe Smith and zoe belanger")
    assert red.text == "[T.S.], [C.S.] and [Z.B.]"
    assert [h.pupil for h in red.hits] == [Pupil("Tom Smith"), CHLOE, ZOE]


def test_no_full_name_is_left_next_to_a_replaced_one():
    """'annleeannleex': the second 'annlee' has no word edge until the first becomes '[A.L.]'."""
    m = NameMatcher([Pupil("Ann Lee")])
    red = m.redact("annleeannleex")
    assert red.text == "[A.L.][A.L.]x"
    assert m.full_names(red.text) == []
    m = NameMatcher([CHLOE, Pupil("Will Dutton", known_as=("Will",))])
    assert m.redact("ChloeSmithWill").text == "[C.S.][W.]"  # redacting twice changes nothing more


def test_pupils_named_by_single_letters_do_not_match_their_own_initials():
    m = NameMatcher([Pupil("A B"), Pupil("J Bob K")])
    assert m.redact("A B and J Bob K.").text == "A B and [J.B.K.]."
    assert m.redact("[J.B.K.] [A.B.]").text == "[J.B.K.] [A.B.]"


# --- nothing but a pupil's name is rewritten --------------------------------------------------------


def test_the_issue_sentence_is_unchanged():
    text = "I WILL HURT Mr John Smith. John Smith steals. Signed, Leanne Dutton."
    m = NameMatcher([WILL, CHLOE], keep=("Mrs Leanne Dutton", "Mr John Smith"))
    red = m.redact(text)
    assert red.text == text and not red.changed
    assert m.full_names(text) == []


def test_the_issue_sentence_with_a_real_pupil_name_changes_only_that_name():
    text = "I WILL HURT Mr John Smith. John Smith steals. Chloe Smith knows. Signed, Leanne Dutton."
    m = NameMatcher([WILL, CHLOE], keep=("Mrs Leanne Dutton", "Mr John Smith"))
    red = m.redact(text)
    assert red.text == text.replace("Chloe Smith", "[C.S.]")
    assert_outside_unchanged(text, red)


@pytest.mark.parametrize("pupil, text", [
    (Pupil("Mark Lee"), "Mark my words"),
    (Pupil("Mark Lee"), "Mark my words, Mr Lee. Mark - Lee's mum knows."),
    (WILL, "Will the school act?"),
    (WILL, "DUTTON WILL PAY"),  # all capitals, no comma: not surname first
    (WILL, "Mrs Dutton will see. Dutton will not."),
    (WILL, "they never will. Dutton is a liar"),  # a sentence break is not a name separator
    (WILL, "Mrs Dutton, Will you stop?"),  # a surname after a title is the adult's
    (Pupil("Amira Haddad"), "That Haddad lot"),
    (Pupil("Ann Lee"), "Joann Lee and Ann Leeds, joannleeds, @joann_lee"),
    (Pupil("Ann Lee"), "Annabel Lee"),
    (Pupil("Sam Jones"), "Samantha Jones and Sam Jonesy"),
    (Pupil("Will"), "I will, Will, WILL"),  # one recorded part: no full-name form
    (CHLOE, "Chloe. Smith said no"),
])
def test_ordinary_words_and_other_people_are_not_rewritten(pupil, text):
    m = NameMatcher([pupil], keep=ADULTS)
    assert m.redact(text).text == text
    assert m.full_names(text) == []


def test_known_as_replaces_each_listed_form_with_its_own_initials():
    haddad = Pupil("Amira Haddad", known_as=("Haddad",))
    m = NameMatcher([haddad])
    assert m.redact("That Haddad lot").text == "That [H.] lot"
    assert m.redact("That HADDAD lot, haddad's").text == "That [H.] lot, [H.]'s"
    sam = Pupil("Samuel Jones", known_as=("Sam", "Sammy"))
    m = NameMatcher([sam], keep=("Mr Sam Jones",))
    red = m.redact("Sam and Sammy, not Samantha or Samuel. Mr Sam Jones saw Sam.")
    assert red.text == "[S.] and [S.], not Samantha or Samuel. Mr Sam Jones saw [S.]."
    assert [h.found for h in red.hits] == ["Sam", "Sammy", "Sam"]
    assert all(h.form == "known_as" for h in red.hits)


def test_known_as_never_after_a_title_nor_inside_a_kept_name():
    haddad = Pupil("Amira Haddad", known_as=("Haddad",))
    m = NameMatcher([haddad], keep=("Haddad Khan",))
    for text in ("Mrs Haddad said", "Mr. Haddad said", "MRS HADDAD said", "Dr Haddad",
                 "Mrs Leanne Haddad said", "Haddad Khan said"):
        assert m.redact(text).text == text, text
    assert m.redact("I miss Haddad").text == "I miss [H.]"  # 'miss' as a verb is no title


def test_known_as_first_name_with_surname_is_a_full_name():
    m = NameMatcher([Pupil("Samuel Jones", known_as=("Sam",))])
    assert m.redact("Sam Jones was hit").text == "[S.J.] was hit"
    assert [h.variant for h in m.full_names("Sam Jones")] == ["known_as + surname"]


def test_kept_adults_and_titles_block_every_loose_form():
    m = NameMatcher([OLIVER], keep=("Mr Oliver McKenzie",))
    for text in ("Oliver McKenzie and Mr Oliver McKenzie", "OLIVER MCKENZIE", "Olivér_McKenzie"):
        assert m.redact(text).text == text
    assert NameMatcher([OLIVER]).redact("Mr Oliver McKenzie").text == "Mr Oliver McKenzie"
    # ...but the pupil's complete name is the pupil's wherever it appears
    assert m.redact("Oliver-James McKenzie").text == "[O.J.M.]"
    assert NameMatcher([Pupil("Ed Ward")], keep=("Edward Jones",)).redact(
        "Edward Jones").text == "Edward Jones"


def test_surname_first_needs_a_capital_given_name():
    m = NameMatcher([CHLOE])
    assert m.redact("Smith, chloe").text == "Smith, chloe"
    assert m.redact("Smith Chloe").text == "[C.S.]"


# --- lone parts (check warnings) -------------------------------------------------------------------


def test_lone_parts():
    sam = Pupil("Sam Jones")
    m = NameMatcher([WILL, sam, CHLOE], keep=("Mr Sam Jones", "Mrs Leanne Dutton"))
    text = ("Will the school act? Sam said so. Mr Sam Jones agreed. Mrs Dutton and Ms Jones. "
            "Leanne Dutton wrote. Chloe Smith and Smith, Chloe. Dutton again.")
    found = [(p.found, p.pupil.name, p.capitalised) for p in m.lone_parts(text)]
    assert found == [("Will", "Will Dutton", True), ("Sam", "Sam Jones", True),
                     ("Dutton", "Will Dutton", True)]


def test_lone_parts_skip_known_as_and_report_runs():
    m = NameMatcher([Pupil("Sam Jones", known_as=("Sam",)), OLIVER])
    parts = m.lone_parts("Sam, SAM and sam. Jones. James McKenzie. oliver")
    assert [(p.found, p.part, p.capitalised) for p in parts] == [
        ("Jones", "Jones", True), ("James McKenzie", "James McKenzie", True),
        ("oliver", "Oliver", False)]


def test_lone_parts_of_the_curly_apostrophe_leak():
    """'L.O. O’Brien' is what the old redactor printed: the surname left after the first name became
    initials. Alone it is not a full name, so the letter may be written, but check warns."""
    m = NameMatcher([LIAM])
    assert m.full_names("L.O. O’Brien") == []
    assert [p.found for p in m.lone_parts("L.O. O’Brien")] == ["O’Brien"]


# --- shape and speed --------------------------------------------------------------------------------


def test_no_pupils_returns_the_text_itself():
    m = NameMatcher([])
    text = "Chloe Smith " * 1000
    red = m.redact(text)
    assert red.text is text and red.hits == () and not red.changed
    assert m.lone_parts(text) == [] and m.full_names(text) == []


def test_pupil_is_hashable_and_known_as_a_tuple():
    assert Pupil("Sam Jones", known_as=["Sam"]).known_as == ("Sam",)  # type: ignore[arg-type]
    assert Pupil("Sam Jones", known_as="Sam").known_as == ("Sam",)  # type: ignore[arg-type]
    assert len({Pupil("A B"), Pupil("A B")}) == 1


def test_long_posts_are_fast():
    pupils = [CHLOE, WILL, ZOE, LIAM, OLIVER, Pupil("Amira Haddad", known_as=("Haddad",))]
    m = NameMatcher(pupils, keep=ADULTS)
    filler = "I will say that Mr John Smith and the whole Dutton family, as Mark said, are wrong. "
    post = (filler * 60 + "Chloe Smith. ") * 2  # ~10k characters
    assert len(post) > 10_000
    began = time.perf_counter()
    for _ in range(20):
        red = m.redact(post)
        m.lone_parts(post)
    assert time.perf_counter() - began < 5
    assert red.text.count("[C.S.]") == 2 and "Chloe" not in red.text


# --- the property: every spelling of a name is found, nothing else is touched ---------------------

LETTERS = "abcdefghijklmnoprstuvwyzéèëüöñçåøł"
WORDS = ("the", "school", "will", "mark", "is", "a", "disgrace", "and", "everyone", "knows", "it",
         "head", "teacher", "lied", "about", "my", "son", "again", "see", "post", "shame")
CF = ("\u00ad", "\u200b", "\u200c", "\u200d", "\u200e", "\u202a", "\u2066", "\u2060", "\ufeff")
APOSTROPHES = ("'", "’", "‘", "ʼ", "`", "")


def _fancy(ch: str, style: str) -> str:
    if not ("a" <= ch.lower() <= "z" and ch.isascii()):
        return ch
    upper = ch.isupper()
    offset = ord(ch) - (ord("A") if upper else ord("a"))
    if style == "bold":
        return chr((0x1D400 if upper else 0x1D41A) + offset)
    return chr((0xFF21 if upper else 0xFF41) + offset)


part = st.text(LETTERS, min_size=2, max_size=7).map(str.capitalize)


@st.composite
def names(draw):
    first = draw(part)
    if draw(st.booleans()):
        first += "-" + draw(part)
    middle = [draw(part)] if draw(st.integers(0, 3)) == 0 else []
    last = draw(part)
    if draw(st.integers(0, 3)) == 0:
        last = "O'" + last
    elif draw(st.integers(0, 3)) == 0:
        last += "-" + draw(part)
    return " ".join([first, *middle, last])


@st.composite
def spellings(draw, name: str):
    parts = name.replace("-", " ").split()
    order = draw(st.sampled_from(["in order", "first and last", "surname first"]))
    if order == "first and last":
        parts = [parts[0], parts[-1]]
    cased = [draw(st.sampled_from([str.lower, str.upper, str.title, str]))(p) for p in parts]
    if order == "surname first":
        comma = draw(st.booleans())
        surname, given = cased[-1:], [p.title() if not comma else p for p in cased[:-1]]
        given[0] = given[0][0].upper() + given[0][1:]
        sep = ", " if comma else draw(st.sampled_from([" ", "  "]))
        text = draw(st.sampled_from([" ", "-", ""])).join(surname) + sep + " ".join(given)
        tight = False
    else:
        seps = [draw(st.sampled_from([" ", "  ", "_", ".", "-", "\n", "\r\n", "__", ""]))
                for _ in cased[1:]]
        text = cased[0] + "".join(s + p for s, p in zip(seps, cased[1:]))
        tight = all(s == "" for s in seps)
    text = "".join(draw(st.sampled_from(APOSTROPHES)) if c == "'" else c for c in text)
    if draw(st.booleans()):
        text = unicodedata.normalize("NFD", text)
    style = draw(st.sampled_from(["plain", "bold", "fullwidth", "mixed"]))
    if style != "plain":
        text = "".join(_fancy(c, draw(st.sampled_from(["bold", "fullwidth"])) if style == "mixed"
                              else style) for c in text)
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from(CF)) + text[at:]
    return text, tight


@given(data=st.data())
def test_every_spelling_is_redacted_and_nothing_else_changes(data):
    name = data.draw(names(), label="name")
    spelled, tight = data.draw(spellings(name), label="spelling")
    words = data.draw(st.lists(st.sampled_from(WORDS), max_size=8), label="words")
    at = data.draw(st.integers(0, len(words)))
    keys = {p.lower() for p in name.replace("-", " ").replace("'", " ").split()}
    assume(not keys & set(WORDS) and not keys & {"mr", "mrs", "ms", "miss", "dr", "mx"})
    prefix = data.draw(st.sampled_from(["", "#", "@", "(", '"'] + (["justicefor"] if tight else [])))
    suffix = data.draw(st.sampled_from(["", ".", ",", "!", ")", "'s"]))
    before = " ".join(words[:at]) + (" " if at else "") + prefix
    text = before + spelled + suffix + (" " if at < len(words) else "") + " ".join(words[at:])
    m = NameMatcher([Pupil(name)], keep=("Mrs Leanne Dutton",))

    red = m.redact(text)

    assert_outside_unchanged(text, red)
    assert m.full_names(red.text) == [], red.text
    assert m.redact(red.text).text == red.text
    start, end = len(before), len(before) + len(spelled)
    # the spelled name is one full-name hit; at most Cf characters of it are left outside
    assert [h.form for h in red.hits] == ["full"], (text, red.hits)
    (hit,) = red.hits
    assert start <= hit.start and hit.end <= end
    outside = text[start:hit.start] + text[hit.end:end]
    assert all(unicodedata.category(c) == "Cf" for c in outside), (text, hit)


def _bare(text: str) -> str:
    """Letters only, folded the way the matcher compares: what a run-together name would be."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    return "".join(c for c in decomposed if c.isalpha()).replace("ł", "l").replace("ø", "o")


@given(data=st.data(), name=names(),
       seps=st.lists(st.sampled_from([" ", ", ", ". ", "\n", " - ", "_", "#", "@"]), min_size=12,
                     max_size=12))
def test_text_without_the_name_is_never_rewritten(data, name, seps):
    """Random words, some of them a name part inside a longer word ('xChloey'), joined by spaces
    and punctuation: where the letters never spell the name run together, nothing changes."""
    name_parts = name.replace("-", " ").split()
    affix = st.text(LETTERS, min_size=1, max_size=3)
    word = st.one_of(st.text(LETTERS + "'", min_size=1, max_size=9),
                     st.builds(lambda a, p, b: a + p + b, affix, st.sampled_from(name_parts), affix))
    words = data.draw(st.lists(word, max_size=12), label="words")
    words = [w.capitalize() if i % 3 == 0 else w for i, w in enumerate(words)]
    text = "".join(w + s for w, s in zip(words, seps))
    parts = [_bare(p) for p in name.replace("-", " ").split()]
    bare = _bare(text)
    assume(parts[0] + parts[-1] not in bare and parts[-1] + parts[0] not in bare)
    m = NameMatcher([Pupil(name)])
    red = m.redact(text)
    assert red.text == text and m.full_names(text) == []
