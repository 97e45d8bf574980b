"""Properties of the plan and of rendering, checked on random valid cases (hypothesis).

The plan's invariants come from CASE_FORMAT.md, "What the plan decides", and are stated here in
terms of the case's own fields (live, external, serious, history) rather than through
pipeline.policy's helpers, so a change to those helpers cannot make a test agree with itself.
The rules' invariants are checked on cases without overrides; overrides have their own section.

`HYPOTHESIS_PROFILE=fuzz` (make fuzz) runs each property on 5000 cases instead of 60.
Tests whose docstrings start "Was a bug" guard fixes of bugs these tests found.
Tests whose docstring says "Was a bug" pin down bugs these properties found, since fixed.
"""

from __future__ import annotations

import io
import tempfile
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

import docx
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from strategies import (
    KINDS,
    REFUSED_CHARACTERS,
    any_character,
    case_dicts,
    cases,
    concern_case,
    full_pupil_names,
    normalised,
    post_texts,
    titled_adult_names,
    to_yaml,
)

from pipeline.archive.verify import verify
from pipeline.case.load import PLACEHOLDER, load_school
from pipeline.case.model import Case
from pipeline.dates import add_working_days, date_problems, uk_time
from pipeline.directory import platform_directory
from pipeline.docx.package import DocumentProperties
from pipeline.docx.template import CompiledTemplate
from pipeline.draft import Settings, draft_many
from pipeline.letter.context import LetterMeta, build_context
from pipeline.offences import PostFacts, offences_for
from pipeline.policy import decide as decide_on

# Every plan here is judged on this day, after every date the strategies make.
TODAY = date(2026, 12, 1)


def decide(case: Case):
    return decide_on(case, None, today=TODAY)

REPO = Path(__file__).resolve().parent.parent
SCHOOL = load_school(REPO / "data" / "school.yaml")
DIRECTORY = platform_directory(REPO / "data" / "platforms.yaml")
# Compiled once: a letter then renders in milliseconds, so the property can try many texts.
CONCERN_TEMPLATE = CompiledTemplate.load(REPO / "letter_templates" / "concern.docx")

POSTER_KINDS = ("concern", "warning", "access_restriction", "premises_notice")
SCHOOL_PLATFORMS = {"school_forum", "school_website"}
SERIOUS = {"threat_of_violence", "racist", "grossly_obscene", "harassment"}
URGENT = {"threat_of_violence", "personal_information"}
FIRST_STEPS = ("discussion", "concern_letter")
REFUSING = ("refused", "no_response", "continued")


# --- the contract's terms, from the case's fields ------------------------------------------------


def is_live(post) -> bool:
    return post.status != "removed"


def is_external(post) -> bool:
    return post.platform not in SCHOOL_PLATFORMS


def is_serious(post) -> bool:
    return bool(SERIOUS & set(post.concerns))


def is_grave(post) -> bool:
    """Serious or urgent: the warning goes at once, the platform is told at once."""
    return bool((SERIOUS | URGENT) & set(post.concerns))


def concerned(case: Case, step) -> list:
    return [p for p in case.posts if step.posts is None or p.id in step.posts]


def due_of(case: Case, step) -> date | None:
    """CASE_FORMAT.md v2: a step's `due`, else its default due date."""
    if step.due:
        return step.due
    urgent = any(URGENT & set(p.concerns) for p in concerned(case, step))
    if step.step in ("concern_letter", "warning_letter"):
        return add_working_days(step.date, 2) if urgent else step.date + timedelta(days=7)
    if step.step == "host_takedown":
        return add_working_days(step.date, 2)
    if step.step == "discussion" and step.outcome == "agreed":
        return step.date + timedelta(days=7)
    return None


def overdue(case: Case, step) -> bool:
    due = due_of(case, step)
    return (step.outcome in ("pending", "agreed") and due is not None and due < TODAY
            and any(is_live(p) for p in concerned(case, step)))


def covered(case: Case, step: str, post) -> bool:
    """History records `step` for `post` (a step without a posts list concerned every post)."""
    return any(s.step == step and (s.posts is None or post.id in s.posts) for s in case.history)


def first_step_day(case: Case) -> date | None:
    days = [s.date for s in case.history if s.step in FIRST_STEPS]
    return min(days) if days else None


def day_of(value: date | datetime) -> date:
    return uk_time(value).when.date() if isinstance(value, datetime) else value


def has_refused(case: Case) -> bool:
    if any(s.step in (*FIRST_STEPS, "warning_letter")
           and (s.outcome in REFUSING or overdue(case, s)) for s in case.history):
        return True
    first = first_step_day(case)
    return first is not None and any(day_of(p.posted) > first for p in case.posts)


def warning_unanswered(case: Case) -> bool:
    return any(s.step == "warning_letter" and (s.outcome in REFUSING or overdue(case, s))
               for s in case.history)


INDIVIDUALS = ("staff", "governor", "pupil", "parent")


def has_ground(case: Case, post) -> bool:
    """The school can ask the platform to remove `post`: it engages one of the platform's own
    rules (data/platforms.yaml, by concern), or it is unlawful on the case's facts (defamatory of
    a person whose meaning is recorded, or an offence the offence table finds, a course of
    conduct counted over every post in the case)."""
    entry = DIRECTORY.entry(post.platform, post.platform_name)
    if set(post.concerns) & set(entry.rules):
        return True
    if "defamatory" in post.concerns and any(a.meaning for a in post.about
                                             if a.role in INDIVIDUALS and a.name):
        return True
    facts = [PostFacts(p.id, frozenset(p.concerns), day_of(p.posted),
                       targets=frozenset(a.name for a in p.about
                                         if a.role in INDIVIDUALS and a.name),
                       false_statement=any(a.inaccurate for a in p.about)) for p in case.posts]
    return any(post.id in m.posts for m in offences_for(facts))


def site(post) -> tuple[str, str]:
    """The site a post is on: the platform, and for `other` the site's name as a slug would
    read it, so 'Bexton Chat' and 'bexton-chat' are one site."""
    if post.platform != "other":
        return (post.platform, "")
    return ("other", "-".join("".join(c if c.isalnum() else " " for c in
                                      post.platform_name.casefold()).split()))


def sites_share_a_key(case: Case) -> bool:
    """Two different sites whose posts have one platform key (so one letter would go to both)."""
    seen: dict[str, tuple[str, str]] = {}
    return any(seen.setdefault(p.platform_key, site(p)) != site(p) for p in case.posts)


def letters_of(plan, kind: str) -> list:
    return [letter for letter in plan.letters if letter.kind == kind]


def posts_of(case: Case, letter) -> list:
    return [case.post(pid) for pid in letter.posts]


def recorded(case: Case, step: str) -> bool:
    return any(s.step == step for s in case.history)


# --- the rules' invariants (cases without overrides) ---------------------------------------------


@given(cases())
def test_no_letter_to_the_poster_without_a_live_post(case):
    for letter in decide(case).letters:
        if letter.kind in POSTER_KINDS:
            assert any(is_live(p) for p in posts_of(case, letter)), letter
            assert all(is_live(p) for p in posts_of(case, letter)), letter


@given(cases())
def test_host_takedown_only_for_live_external_posts_one_letter_per_platform(case):
    plan = decide(case)
    takedowns = letters_of(plan, "host_takedown")
    platforms = [letter.platform for letter in takedowns]
    assert len(platforms) == len(set(platforms)), f"two letters to one platform: {platforms}"
    for letter in takedowns:
        chosen = posts_of(case, letter)
        assert chosen, letter
        assert all(is_live(p) and is_external(p) for p in chosen), letter
        assert len({site(p) for p in chosen}) == 1, letter  # all on one site ...
        assert {p.platform_key for p in chosen} == {letter.platform}, letter  # ... its letter's
        # When the poster refused, or at once for serious or urgent posts; and only posts the
        # school has a ground to ask about.
        assert has_refused(case) or all(is_grave(p) for p in chosen), letter
        assert all(has_ground(case, p) for p in chosen), letter
    # And every post that qualifies is in its platform's letter; one that does not is explained.
    for post in case.posts:
        if (is_live(post) and is_external(post) and not covered(case, "host_takedown", post)
                and (has_refused(case) or is_grave(post))):
            if has_ground(case, post):
                assert any(post.id in l.posts and l.platform == post.platform_key
                           for l in takedowns)
            else:
                assert any(n.startswith("No letter to") and post.id in n for n in plan.notes)


@given(cases())
def test_police_referral_exactly_when_a_serious_post_is_not_yet_referred(case):
    # Counted post by post: each serious post not covered by a recorded referral.
    due = [p.id for p in case.posts if is_serious(p) and not covered(case, "police_referral", p)]
    referrals = letters_of(decide(case), "police_referral")
    if due:
        assert len(referrals) == 1
        assert list(referrals[0].posts) == due  # removed posts too: they remain evidence
        assert referrals[0].further == recorded(case, "police_referral")
    else:
        assert referrals == []


@given(cases())
def test_nothing_recorded_in_history_is_planned_again(case):
    plan = decide(case)
    steps = {s.step for s in case.history}
    if "warning_letter" in steps:
        assert not letters_of(plan, "warning")
    if steps & set(FIRST_STEPS):
        assert not letters_of(plan, "concern")
    for kind in ("host_takedown", "police_referral"):
        for letter in letters_of(plan, kind):
            for post in posts_of(case, letter):
                assert not covered(case, kind, post), (post.id, case.history)
    for kind in ("legal_referral", "access_restriction"):
        if recorded(case, kind):
            assert not letters_of(plan, kind), (kind, case.history)


@given(cases(overrides=None))
def test_every_letter_has_a_kind_reasons_and_a_basis(case):
    for letter in decide(case).letters:
        assert letter.kind in KINDS
        assert letter.reasons and all(r.strip() for r in letter.reasons), letter
        basis = [*letter.clauses, *letter.guidance]
        assert basis and all(c.strip() for c in basis), letter
        assert letter.posts, letter


def contract_plan(case: Case) -> list[tuple[str, str, tuple[str, ...]]]:
    """The plan as CASE_FORMAT.md's tables (v1 and v2) state it: sorted (kind, platform, posts);
    a platform letter only for posts the school has a ground to ask about (docs/case-format.md:
    no letter to a platform without one)."""
    live = [p for p in case.posts if is_live(p)]
    first, refused = first_step_day(case) is not None, has_refused(case)
    grave = any(is_grave(p) for p in live)
    plan = []
    if live and not first and not grave:
        plan.append(("concern", "", tuple(p.id for p in live)))
    if live and not recorded(case, "warning_letter") and ((first and refused) or grave):
        plan.append(("warning", "", tuple(p.id for p in live)))
    by_platform: dict[str, list[str]] = {}
    for p in live:
        if is_external(p) and not covered(case, "host_takedown", p) and (refused or is_grave(p)) \
                and has_ground(case, p):
            by_platform.setdefault(p.platform_key, []).append(p.id)
    plan += [("host_takedown", k, tuple(v)) for k, v in by_platform.items()]
    police = [p.id for p in case.posts if is_serious(p) and not covered(case, "police_referral", p)]
    if police:
        plan.append(("police_referral", "", tuple(police)))
    legal = [p.id for p in live if "defamatory" in p.concerns]
    if live and not recorded(case, "legal_referral"):
        if legal and refused:
            plan.append(("legal_referral", "", tuple(legal)))
        elif warning_unanswered(case):
            plan.append(("legal_referral", "", tuple(p.id for p in live)))
    access = [p.id for p in live if not is_external(p)]
    if access and refused and not recorded(case, "access_restriction"):
        plan.append(("access_restriction", "", tuple(access)))
    return sorted(plan)


@given(cases())
def test_the_plan_is_the_contract_table(case):
    got = sorted((l.kind, l.platform or "", tuple(l.posts)) for l in decide(case).letters)
    assert got == contract_plan(case)


@given(cases())
def test_respond_by_and_urgent_follow_the_contract(case):
    for letter in decide(case).letters:
        urgent = any(URGENT & set(p.concerns) for p in posts_of(case, letter))
        assert letter.urgent == urgent
        if letter.kind in ("concern", "warning"):
            expected = add_working_days(TODAY, 2) if urgent else TODAY + timedelta(days=7)
        elif letter.kind == "host_takedown":
            expected = add_working_days(TODAY, 2)
        elif letter.kind in ("access_restriction", "premises_notice"):
            expected = add_working_days(TODAY, 10)
        else:
            expected = None
        assert letter.respond_by == expected, letter


# --- overrides --------------------------------------------------------------------------------


@given(cases(overrides=True))
def test_every_override_keeps_its_reason_in_the_plan(case):
    plan = decide(case)
    kept = [r for l in plan.letters for r in l.overrides]
    kept += [e.reason for e in plan.excluded] + list(plan.notes)
    for i, override in enumerate(case.overrides):
        if override.action == "include" and any(
                later.action == "exclude" and later.letter == override.letter
                for later in case.overrides[i + 1:]):
            continue  # a later decision not to draft it wins, and its reason is what is kept
        assert any(override.reason in text for text in kept), override


simple_overrides = st.lists(st.tuples(st.sampled_from(KINDS),
                                      st.sampled_from(("include", "exclude")), st.just("Staff")),
                            min_size=1, max_size=4)


@given(case_dicts(), simple_overrides)
def test_the_last_override_of_a_kind_decides_whether_it_is_drafted(data, chosen):
    """Overrides naming only a kind: include adds one if a post fits, exclude removes it."""
    bare = Case.model_validate(data)
    case = Case.model_validate(data | {"overrides": [
        {"letter": k, "action": a, "reason": f"{r} {i}"} for i, (k, a, r) in enumerate(chosen)]})
    before = {l.kind for l in decide(bare).letters}
    plan = decide(case)
    external_posts = [p for p in ([p for p in case.posts if is_live(p)] or case.posts)
                      if is_external(p)]
    for kind in KINDS:
        actions = [a for k, a, _ in chosen if k == kind]
        if not actions:
            expected = kind in before
        elif actions[-1] == "exclude":
            expected = False
        else:
            expected = kind in before or kind != "host_takedown" or bool(external_posts)
        assert bool(letters_of(plan, kind)) == expected, (kind, actions)
    for letter in plan.letters:
        if letter.kind not in before:  # added by an include: the live posts, or all if none
            pool = [p for p in case.posts if is_live(p)] or list(case.posts)
            chosen_posts = posts_of(case, letter)
            assert set(letter.posts) <= {p.id for p in pool}
            if letter.kind == "host_takedown":
                assert all(is_external(p) for p in chosen_posts)
                assert {p.platform_key for p in chosen_posts} == {letter.platform}
            else:
                assert list(letter.posts) == [p.id for p in pool]
            assert letter.overrides and letter.reasons[0].startswith("Included by the school")


@given(cases(overrides=None))
def test_a_plan_never_holds_two_letters_with_one_key(case):
    """The archive names and numbers a letter by its key (kind and platform): one of each."""
    keys = Counter(letter.key for letter in decide(case).letters)
    assert all(count == 1 for count in keys.values()), keys


def small_case(post: dict, *more: dict, history=(), overrides=()) -> Case:
    return Case.model_validate({
        "case_id": "T-1", "opened": date(2026, 11, 2),
        "poster": {"name": "Mrs Jane Doe", "address": ["12 Example Road", "Bexton"]},
        "posts": [post, *more], "history": list(history), "overrides": list(overrides)})


def test_an_include_naming_a_platform_does_not_duplicate_a_planned_police_referral():
    """Was a bug (policy._override_hits): an include naming a platform for a letter that has
    none ({letter: police_referral, action: include, platform: facebook}) did not match the
    police_referral already planned, so a second one with the same key was added."""
    case = small_case(
        {"id": "P1", "platform": "facebook", "url": "https://www.facebook.com/groups/1/posts/2",
         "posted": date(2026, 10, 30), "text": "I will hurt that teacher.",
         "concerns": ["threat_of_violence"]},
        overrides=[{"letter": "police_referral", "action": "include", "platform": "facebook",
                    "reason": "The Facebook post is the threat"}])
    [police] = letters_of(decide(case), "police_referral")
    assert police.overrides == ("The Facebook post is the threat",)


OTHER_SITE_CALLED_X = [
    {"id": "P1", "platform": "x", "url": "https://x.com/a/status/1", "posted": date(2026, 10, 30),
     "text": "Let's all pile on the teachers.", "concerns": ["cyberbullying"]},
    {"id": "P2", "platform": "other", "platform_name": "X", "url": "https://x.com/a/status/2",
     "posted": date(2026, 10, 30), "text": "Pile on them.", "concerns": ["cyberbullying"]},
]
REFUSED = {"date": date(2026, 11, 3), "step": "discussion", "outcome": "refused"}
INCLUDE_OTHER = {"letter": "host_takedown", "action": "include", "platform": "other",
                 "reason": "Report the other site too"}


def test_a_site_called_x_gets_its_own_letter_and_no_duplicate():
    """Was a bug (models.Post.platform_key): a post on platform other named 'X' had the key
    'x', shared one letter with the real X, and an include for `platform: other` then added a
    second host_takedown-x letter."""
    case = small_case(*OTHER_SITE_CALLED_X, history=[REFUSED], overrides=[INCLUDE_OTHER])
    takedowns = {l.platform: l.posts for l in letters_of(decide(case), "host_takedown")}
    assert takedowns == {"x": ("P1",), case.post("P2").platform_key: ("P2",)}
    assert case.post("P2").platform_key != "x"


NON_LATIN_SITES = [
    {"id": "P1", "platform": "other", "platform_name": "ВКонтакте", "url": "https://vk.com/wall1_2",
     "posted": date(2026, 10, 30), "text": "Let's all pile on the teachers.",
     "concerns": ["cyberbullying"]},
    {"id": "P2", "platform": "other", "platform_name": "微博", "url": "https://weibo.com/1/2",
     "posted": date(2026, 10, 30), "text": "Pile on them.", "concerns": ["cyberbullying"]},
]


@given(cases())
def test_different_sites_never_share_a_platform_key(case):
    """A letter per site: 'Bexton Chat' and 'bexton-chat' are one site; 'X' is not X, and
    'ВКонтакте' is not '微博'."""
    assert not sites_share_a_key(case), [(p.platform, p.platform_name) for p in case.posts]


def test_two_sites_with_non_latin_names_get_a_letter_each():
    """Was a bug (models.Post.platform_key): the slug kept only a-z and 0-9, so sites named
    'ВКонтакте' and '微博' both had the key 'other' and one letter, addressed to the operator
    of ВКонтакте, reported the Weibo post too."""
    case = small_case(*NON_LATIN_SITES, history=[REFUSED])
    takedowns = sorted(l.posts for l in letters_of(decide(case), "host_takedown"))
    assert takedowns == [("P1",), ("P2",)]


def test_drafting_a_case_with_an_include_for_other_sites_leaves_a_sound_archive(tmp_path, letters,
                                                                               invoke):
    """Was a bug: the duplicate host_takedown-x letter above got one number and one file name;
    the second was skipped as the file existed yet recorded as written, so `letters verify`
    failed straight after a successful `letters draft`."""
    data = {"case_id": "T-1", "opened": date(2026, 11, 2),
            "poster": {"name": "Mrs Jane Doe", "address": ["12 Example Road", "Bexton"]},
            "posts": OTHER_SITE_CALLED_X, "history": [REFUSED], "overrides": [INCLUDE_OTHER]}
    case = tmp_path / "case.yaml"
    case.write_text(to_yaml(data), encoding="utf-8")
    out = tmp_path / "out"

    drafted = letters("draft", case, "--out", out, "--date", "2026-12-01")
    result = invoke("verify", out)

    assert drafted.exit_code == 0, drafted.output
    assert "1 case: 3 letters written" in drafted.stdout
    assert result.exit_code == 0, result.output
    assert "3 files checked, 0 problems." in result.stdout


# --- text: what the model accepts, and what the letter shows -------------------------------------


@given(st.text(any_character, max_size=20), st.sampled_from(REFUSED_CHARACTERS + "\ud800"),
       st.text(any_character, max_size=20))
def test_a_character_word_cannot_hold_is_refused(before, bad, after):
    with pytest.raises(ValidationError, match="invisible character"):
        concern_case(before + bad + after)


def quote_paragraphs(data: bytes) -> list[str]:
    """The text of each quoted post: the Quote paragraph after a post's lead-in ("On ... you
    posted ... on Facebook (URL):"), as python-docx reads it (<w:br/> "\\n", <w:tab/> "\\t")."""
    paragraphs = docx.Document(io.BytesIO(data)).paragraphs
    return [quote.text for lead_in, quote in zip(paragraphs, paragraphs[1:])
            if lead_in.style.name == "Lead In" and " you posted " in lead_in.text
            and quote.style.name == "Quote"]


def render_concern(case: Case) -> bytes:
    [letter] = decide(case).letters
    meta = LetterMeta(reference="PROP-001/01", letter_date=date(2026, 11, 3))
    context = build_context(letter, case, SCHOOL, meta)
    properties = DocumentProperties(title="t", subject="s", author=SCHOOL.name, keywords="k",
                                    letter_date=meta.letter_date)
    return CONCERN_TEMPLATE.render(context, properties, kind="concern")


@given(post_texts)
@example("Fish & chips < cake > {{ school.name }} {%p if x %}\r\n\tindented\u2028end\n")
@example("  leading spaces\n\n  and a blank line\x85\v\f\r")
def test_any_post_text_survives_into_the_letter_unchanged(text):
    expected = normalised(text)
    case = concern_case(text)
    assert case.posts[0].text == expected
    # The block scalar's closing line break is YAML's, not the poster's: that one is dropped.
    assert quote_paragraphs(render_concern(case)) == [expected.removesuffix("\n")]


def test_trailing_blank_lines_of_a_post_are_kept():
    """Was a bug (context._post): rstrip dropped every trailing line break, so a post kept
    with `text: |+` lost its trailing blank line."""
    text = "Line one\n\n"
    assert quote_paragraphs(render_concern(concern_case(text))) == ["Line one\n"]


# --- drafting random cases end to end -----------------------------------------------------------


def planned_letters(case: Case) -> int:
    return len(decide_on(case, SCHOOL, today=TODAY).letters)


@settings(max_examples=max(10, settings.default.max_examples // 4))
@given(case_dicts(overrides=None, pupil_names=full_pupil_names, poster_names=titled_adult_names))
def test_any_valid_case_file_drafts_verifies_and_redrafts_unchanged(data):
    """Written as YAML, read back, planned, rendered and archived; then drafted again."""
    case = Case.model_validate(data)
    text = to_yaml(data)
    assume(PLACEHOLDER not in text)  # a skeleton's "FILL IN" is refused on purpose
    assume(not date_problems(case.posts, case.history, TODAY))  # refused on purpose too
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "case.yaml"
        path.write_text(text, encoding="utf-8")
        settings_ = Settings(school_path=REPO / "data" / "school.yaml", out_dir=Path(tmp) / "out",
                             today=TODAY)

        [first] = draft_many([path], settings_)
        assert first.ok, (first.error, [str(p) for p in first.problems])
        assert len(first.letters) == planned_letters(case)
        report = verify(settings_.out_dir)
        assert report.findings == [] and report.checked == len(first.letters)
        for letter in first.letters:
            if letter.kind in ("host_takedown", "police_referral"):
                text = "\n".join(p.text for p in docx.Document(letter.path).paragraphs)
                assert not any(name in text for name in case.pupils), letter.path.name

        [again] = draft_many([path], settings_)
        assert [l.status for l in again.letters] == ["unchanged"] * len(first.letters)


@pytest.mark.parametrize("pupil", ["Will", "May"])
def test_a_pupil_called_will_or_may_does_not_stop_the_police_letter(tmp_path, base_case,
                                                                    write_case, letters,
                                                                    pupil):
    text = base_case.replace(
        "    text: The teachers at this school are a joke.\n"
        "    concerns: [negative_comment]\n",
        f"    text: {pupil} hit my son again today and nobody does anything.\n"
        "    concerns: [harassment, names_pupil]\n"
        f"    about:\n      - {{role: pupil, name: {pupil}, known_as: [{pupil}]}}\n")
    case = write_case(tmp_path, text)
    out = tmp_path / "out"

    result = letters("draft", case, "--out", out, "--date", "2026-12-01")

    assert result.exit_code == 0, result.output
    police = next((out / "T-001").glob("*-police_referral.docx"))
    document = docx.Document(police)
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    quoted = "\n".join([p.text for p in document.paragraphs] + cells)  # the log quotes posts
    assert f"[{pupil[0]}.] hit my son" in quoted and f"{pupil} hit" not in quoted


