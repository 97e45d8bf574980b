"""The offences table and offences_for: what a police referral may mention, and only that."""

from __future__ import annotations

import itertools
import re
from datetime import date, datetime

import pytest

from pipeline.directory import CONCERNS
from pipeline.offences import OFFENCES, Offence, PostFacts, offences_for

# The statutes REFERENCE.md ("Offences a police referral may mention") names. Embedded here on
# purpose: CI has only the repository, not the shared folder beside it.
REFERENCE_STATUTES = {
    "Protection from Harassment Act 1997",
    "Communications Act 2003",
    "Malicious Communications Act 1988",
    "Online Safety Act 2023",
    "Crime and Disorder Act 1998",
}
COURSE_OF_CONDUCT = {"pha1997_s2", "pha1997_s4", "cda1998_s32"}


def post(pid: str, *concerns: str, on: date = date(2026, 10, 1), about: tuple[str, ...] = ("Mr A Teacher",),
         false: bool = False) -> PostFacts:
    return PostFacts(pid, frozenset(concerns), on, frozenset(about), false)


def ids(mentions) -> list[str]:
    return [m.id for m in mentions]


def only(mentions, offence_id: str):
    found = [m for m in mentions if m.id == offence_id]
    assert len(found) == 1, (offence_id, ids(mentions))
    return found[0]


DAY1, DAY2, DAY3 = date(2026, 10, 1), date(2026, 10, 2), date(2026, 10, 5)


# --- the defects this replaces ----------------------------------------------------------------


def test_a_single_racist_post_is_s127_with_the_s66_aggravation_never_s32_or_harassment():
    mentions = offences_for([post("P1", "racist", "names_pupil")])
    s127 = only(mentions, "ca2003_s127_1")
    assert s127.posts == ("P1",)
    assert "Sentencing Act 2020 s66" in (s127.aggravation or "")
    assert "Sentencing Act 2020 s66" in s127.sentence
    assert s127.sentence.startswith("P1 may amount to sending a grossly offensive")
    assert "cda1998_s32" not in ids(mentions)
    assert not set(ids(mentions)) & COURSE_OF_CONDUCT


def test_two_racist_posts_on_different_days_about_the_same_person_may_be_s32():
    mentions = offences_for([post("P1", "racist", on=DAY1), post("P2", "racist", on=DAY3)])
    s32 = only(mentions, "cda1998_s32")
    assert s32.posts == ("P1", "P2")
    assert s32.targets == ("Mr A Teacher",)
    assert s32.occasions == 2
    assert s32.sentence == ("P1 and P2 may amount to racially or religiously aggravated harassment "
                            "(Crime and Disorder Act 1998 s32): a course of conduct on two "
                            "occasions against the same person.")
    # Each post on its own still may be grossly offensive, aggravated by racial hostility.
    assert only(mentions, "ca2003_s127_1").posts == ("P1", "P2")


def test_two_racist_posts_on_the_same_day_are_one_occasion_so_no_course_of_conduct():
    mentions = offences_for([post("P1", "racist", on=datetime(2026, 10, 1, 9, 0)),
                             post("P2", "racist", on=datetime(2026, 10, 1, 21, 30))])
    assert not set(ids(mentions)) & COURSE_OF_CONDUCT
    assert "ca2003_s127_1" in ids(mentions)


def test_harassment_is_never_asserted_as_fact():
    mentions = offences_for([post("P1", "harassment", on=DAY1), post("P2", "harassment", on=DAY2)])
    assert [m.sentence for m in mentions] == [
        "P1 and P2 may amount to harassment (Protection from Harassment Act 1997 s2): a course of "
        "conduct on two occasions against the same person."]


# --- course of conduct ------------------------------------------------------------------------


def test_two_harassment_posts_about_different_people_are_no_course_of_conduct():
    mentions = offences_for([post("P1", "harassment", on=DAY1, about=("Mr A Teacher",)),
                             post("P2", "harassment", on=DAY2, about=("Mrs B Head",))])
    assert mentions == []


def test_one_harassment_post_alone_is_nothing():
    assert offences_for([post("P1", "harassment")]) == []


def test_a_post_with_no_named_individual_cannot_form_a_course_of_conduct():
    mentions = offences_for([post("P1", "harassment", on=DAY1, about=()),
                             post("P2", "harassment", on=DAY2, about=())])
    assert mentions == []


def test_the_same_person_is_recognised_whatever_the_case_and_spacing():
    mentions = offences_for([post("P1", "cyberbullying", on=DAY1, about=("Mr A  Teacher",)),
                             post("P2", "harassment", on=DAY2, about=("mr a teacher",))])
    pha = only(mentions, "pha1997_s2")
    assert pha.posts == ("P1", "P2")
    assert pha.targets == ("Mr A Teacher",)


def test_only_the_posts_that_engage_the_offence_and_target_the_person_are_in_the_course():
    mentions = offences_for([
        post("P1", "harassment", on=DAY1),
        post("P2", "negative_comment", on=DAY2),           # engages nothing
        post("P3", "harassment", on=DAY3, about=("Someone Else",)),
        post("P4", "threat_of_violence", on=DAY3),
    ])
    pha = only(mentions, "pha1997_s2")
    assert pha.posts == ("P1", "P4")
    assert "P2" not in {p for m in mentions for p in m.posts}


def test_a_course_against_two_people_on_the_same_posts_is_one_mention():
    mentions = offences_for([post("P1", "harassment", on=DAY1, about=("A One", "B Two")),
                             post("P2", "harassment", on=DAY2, about=("A One", "B Two"))])
    pha = only(mentions, "pha1997_s2")
    assert pha.targets == ("A One", "B Two")
    assert pha.sentence.endswith("against each of two people.")


def test_three_occasions_are_counted_in_words():
    mentions = offences_for([post(f"P{i}", "harassment", on=day)
                             for i, day in enumerate((DAY1, DAY2, DAY3), start=1)])
    assert "on three occasions" in only(mentions, "pha1997_s2").sentence


# --- threats ----------------------------------------------------------------------------------


def test_a_single_threat_is_s181_and_menacing_under_s127_but_not_s4():
    mentions = offences_for([post("P1", "threat_of_violence")])
    assert set(ids(mentions)) == {"osa2023_s181", "ca2003_s127_1"}
    assert "menacing" in only(mentions, "ca2003_s127_1").sentence
    s181 = only(mentions, "osa2023_s181")
    assert "threat of death or serious harm" in s181.sentence
    # The Malicious Communications Act's threat limb no longer exists in England and Wales.
    assert "mca1988_s1" not in ids(mentions)


def test_two_threats_on_two_occasions_to_the_same_person_add_s4():
    mentions = offences_for([post("P1", "threat_of_violence", on=DAY1),
                             post("P2", "threat_of_violence", on=DAY2)])
    s4 = only(mentions, "pha1997_s4")
    assert s4.posts == ("P1", "P2")
    assert "fear that violence would be used" in s4.sentence
    assert {"pha1997_s2", "osa2023_s181", "ca2003_s127_1"} <= set(ids(mentions))


def test_one_threat_and_one_harassment_post_are_harassment_but_not_fear_of_violence():
    mentions = offences_for([post("P1", "threat_of_violence", on=DAY1),
                             post("P2", "harassment", on=DAY2)])
    assert "pha1997_s2" in ids(mentions)
    assert "pha1997_s4" not in ids(mentions)


# --- personal information ---------------------------------------------------------------------


def test_a_home_address_alone_engages_no_offence():
    # "With an invitation to confront" cannot be read from the concern alone.
    assert offences_for([post("P1", "personal_information")]) == []


@pytest.mark.parametrize("with_", ["harassment", "threat_of_violence"])
def test_a_home_address_with_harassment_or_a_threat_may_be_menacing(with_):
    s127 = only(offences_for([post("P1", "personal_information", with_)]), "ca2003_s127_1")
    assert "invites others to confront them may be menacing" in s127.sentence


def test_a_home_address_published_again_may_be_harassment():
    mentions = offences_for([post("P1", "personal_information", "harassment", on=DAY1),
                             post("P2", "personal_information", "harassment", on=DAY2)])
    assert only(mentions, "pha1997_s2").posts == ("P1", "P2")


# --- false statements and defamation -----------------------------------------------------------


def test_a_defamatory_post_alone_is_no_offence():
    assert offences_for([post("P1", "defamatory", "names_staff")]) == []


def test_a_false_allegation_recorded_as_untrue_may_be_s179():
    mentions = offences_for([post("P1", "allegation_of_harm", "defamatory", false=True)])
    s179 = only(mentions, "osa2023_s179")
    assert s179.sentence == (
        "P1 may amount to sending a false communication (Online Safety Act 2023 s179): the school "
        "records the information in it as untrue, but the offence needs the sender to have known "
        "the information to be false and to have intended it to cause non-trivial harm.")


def test_the_false_statement_flag_needs_an_allegation():
    assert offences_for([post("P1", "negative_comment", "complaint", false=True)]) == []


def test_an_allegation_not_recorded_as_untrue_is_no_offence():
    assert offences_for([post("P1", "allegation", "allegation_of_harm")]) == []


# --- properties over every case ------------------------------------------------------------


SINGLE_POSTS = [frozenset(c) for n in (1, 2) for c in itertools.combinations(CONCERNS, n)]


@pytest.mark.parametrize("concerns", SINGLE_POSTS, ids=lambda c: "+".join(sorted(c)))
def test_a_single_post_never_cites_a_course_of_conduct_offence(concerns):
    for false in (False, True):
        mentions = offences_for([PostFacts("P1", concerns, DAY1, frozenset({"A Person"}), false)])
        assert not set(ids(mentions)) & COURSE_OF_CONDUCT


MIXED = [
    post("P1", "racist", "harassment", on=DAY1),
    post("P2", "threat_of_violence", "personal_information", on=DAY2),
    post("P3", "racist", on=DAY2, about=("Mrs B Head",)),
    post("P4", "allegation", "defamatory", on=DAY3, false=True),
    post("P5", "grossly_obscene", "threat_of_violence", on=DAY3, about=("Mrs B Head",)),
]


def test_every_sentence_says_may_amount_to_and_never_asserts_guilt():
    mentions = offences_for(MIXED)
    assert mentions
    for m in mentions:
        assert "may amount to" in m.sentence
        assert not re.search(r"\b(guilty|committed|is an offence|has harassed)\b", m.sentence, re.I)
        assert m.sentence.endswith(".")


def test_every_mention_rests_only_on_posts_that_engage_it():
    by_id = {p.id: p for p in MIXED}
    for m in offences_for(MIXED):
        assert m.posts
        for pid in m.posts:
            assert m.offence.triggers(by_id[pid]), (m.id, pid)


def test_the_order_is_stable_whatever_order_the_posts_come_in():
    expected = [(m.id, m.posts, m.sentence) for m in offences_for(MIXED)]
    assert [m.id for m in offences_for(MIXED)] == sorted(
        [m.id for m in offences_for(MIXED)], key=[o.id for o in OFFENCES].index)
    for order in itertools.permutations(MIXED):
        assert [(m.id, m.posts, m.sentence) for m in offences_for(list(order))] == expected


def test_post_ids_are_ordered_naturally():
    mentions = offences_for([post("P10", "racist"), post("P2", "racist")])
    assert only(mentions, "ca2003_s127_1").posts == ("P2", "P10")


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="unknown concern"):
        PostFacts("P1", frozenset({"rude"}), DAY1)
    with pytest.raises(ValueError, match="must differ"):
        offences_for([post("P1", "racist"), post("P1", "harassment")])


# --- the table itself --------------------------------------------------------------------------


def test_every_row_rests_on_reference_md_and_names_a_statute_it_names():
    assert len({o.id for o in OFFENCES}) == len(OFFENCES)
    for offence in OFFENCES:
        assert isinstance(offence, Offence)
        assert offence.source.startswith("REFERENCE.md: Offences a police referral may mention")
        assert offence.statute in REFERENCE_STATUTES
        assert offence.section.startswith("s")
        assert offence.concerns <= set(CONCERNS)
        assert offence.engaged_by
        if offence.aggravation:
            assert "Sentencing Act 2020 s66" in offence.aggravation
            assert offence.aggravated_by <= set(CONCERNS)


def test_only_the_harassment_offences_need_a_course_of_conduct():
    assert {o.id for o in OFFENCES if o.needs_course_of_conduct} == COURSE_OF_CONDUCT
    for offence in OFFENCES:
        if offence.needs_course_of_conduct:
            assert offence.aggravation is None  # a course offence is never a "single post" note


def test_the_in_force_notes_follow_reference_md():
    notes = {o.id: o.in_force_note or "" for o in OFFENCES}
    assert "31 January 2024" in notes["osa2023_s181"]
    assert "31 January 2024" in notes["osa2023_s179"]
    assert "31 January 2024" in notes["mca1988_s1"]
    assert "indecent or grossly offensive" in notes["mca1988_s1"]
    assert "s127(2)(a) and (b)" in notes["ca2003_s127_1"]
    mca = next(o for o in OFFENCES if o.id == "mca1988_s1")
    assert "threat_of_violence" not in mca.concerns  # its threat limb was replaced
