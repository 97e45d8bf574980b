"""Hypothesis strategies: random valid cases, post text, and the settings profiles.

Cases are built as the dicts a case file holds and validated with `Case.model_validate`, so every
case drawn is one the pipeline accepts. `case_dicts(overrides=False)` gives cases without staff
overrides, for the rules' own invariants; `overrides=True` always adds at least one.

Profiles (chosen by the HYPOTHESIS_PROFILE environment variable, default "ci"):
  ci    about 60 examples a property, for every test run
  fuzz  5000 examples a property, for `make fuzz` (minutes)
"""

from __future__ import annotations

import os
import re
from datetime import date, datetime, timedelta
from typing import Any, get_args

import yaml
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from pipeline.case.model import (
    Case,
    Concern,
    LetterKind,
    Outcome,
    Platform,
    Relationship,
    Role,
    Step,
    Visibility,
)

# --- profiles ----------------------------------------------------------------------------------

settings.register_profile("ci", max_examples=60, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("fuzz", max_examples=5000, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow,
                                                 HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# --- vocabularies (from the model, so a new word is generated as soon as it is added) ----------

PLATFORMS: tuple[str, ...] = get_args(Platform)
CONCERNS: tuple[str, ...] = get_args(Concern)
ROLES: tuple[str, ...] = get_args(Role)
STEPS: tuple[str, ...] = get_args(Step)
OUTCOMES: tuple[str, ...] = get_args(Outcome)
KINDS: tuple[str, ...] = get_args(LetterKind)
RELATIONSHIPS: tuple[str, ...] = get_args(Relationship)
VISIBILITIES: tuple[str, ...] = get_args(Visibility)

# --- post text ---------------------------------------------------------------------------------

# What clean_text refuses: C0 controls but tab, line feed, vertical tab, form feed and carriage
# return; lone surrogates (category Cs); and the two non-characters XML cannot hold.
REFUSED_CHARACTERS = "".join(chr(c) for c in [*range(0x00, 0x09), *range(0x0E, 0x20),
                                              0xFFFE, 0xFFFF])
# Every spelling of a line break a pasted post may carry; the model makes each one '\n'.
LINE_BREAK_SPELLINGS = ("\r\n", "\r", "\v", "\f", "\x85", "\u2028", "\u2029")
_LINE_BREAKS = re.compile("\r\n|[\r\v\f\x85\u2028\u2029]")

any_character = st.characters(exclude_categories=("Cs",), exclude_characters=REFUSED_CHARACTERS)
# Pieces that have broken text on its way into Word before: markup, template tags, whitespace
# that Word drops unless told to keep it, and characters outside the Basic Multilingual Plane.
TRICKY_PIECES = ("\n", "\t", " ", "  ", *LINE_BREAK_SPELLINGS, "&", "<", ">", '"', "'", "&amp;",
                 "{{", "}}", "{%", "%}", "{#", "#}", "{%p ", "{_{", "}_}", "<w:p>", "\n<w:p ",
                 "</w:t>", "]]>", "\u200d", "\u202e", "\U0001F469", "\x7f", "\x9f", "\ufeff",
                 "\U0010FFFD", "\U0001FFFE")

# Never blank: a post's text must hold something to quote (the model refuses a blank one).
post_texts = st.lists(st.one_of(st.text(any_character, max_size=12),
                                st.sampled_from(TRICKY_PIECES)),
                      max_size=12).map("".join).map(lambda t: t if t.strip() else t + "x")


def normalised(text: str) -> str:
    """The text as the model keeps it: every spelling of a line break becomes '\\n'."""
    return _LINE_BREAKS.sub("\n", text)


# --- small values ------------------------------------------------------------------------------

FIRST_NAMES = ("Sam", "Jack", "Amira", "Will", "Zoë", "Seán", "Li", "Olu", "Grace", "Mo")
SURNAMES = ("Fenwick", "Dutton", "O'Neill", "Khan", "Smith-Jones", "Nowak", "Ng", "Brown")
SITE_NAMES = ("Nextdoor", "Mumsnet", "Bexton Chat", "Local Parents Forum", "Reddit", "X",
              "Facebook", "!!!", "Bexton-Chat")

BASE_DAY = date(2026, 9, 1)
# Up to 30 November 2026: nothing in a case can be after the day it is checked on.
days = st.integers(0, 90).map(lambda n: BASE_DAY + timedelta(days=n))
moments = st.one_of(days, st.builds(lambda d, h, m: datetime(d.year, d.month, d.day, h, m),
                                    days, st.integers(0, 23), st.integers(0, 59)))
lines = st.text(st.characters(codec="utf-8", categories=("L", "N", "Zs", "P")),
                min_size=1, max_size=30).map(str.strip).filter(bool)
person_names = st.one_of(
    st.builds(lambda f, s: f"{f} {s}", st.sampled_from(FIRST_NAMES), st.sampled_from(SURNAMES)),
    st.sampled_from(FIRST_NAMES),
    lines,
)
# Adults as case files name them: a title, so "Mrs Dutton" is never taken for a pupil. Their
# surnames are the pupils' too, as a parent's often is.
titled_adult_names = st.builds(lambda t, f, s: f"{t} {f} {s}",
                               st.sampled_from(("Mrs", "Mr", "Ms", "Dr")),
                               st.sampled_from(("Jane", "Leanne", "Craig", "Priya", "Ann")),
                               st.sampled_from(SURNAMES))
# Pupils by full name, for drafting end to end: a pupil known by a first name that is also an
# English word ("Will", "May") once stopped third-party letters being drafted (now a test).
full_pupil_names = st.builds(lambda f, s: f"{f} {s}", st.sampled_from(FIRST_NAMES),
                             st.sampled_from(SURNAMES))
reasons = st.one_of(st.sampled_from(("Head judges the threat credible",
                                     "Governors asked for this", "Already handled by phone")),
                    lines)


def subsets(ids: list[str], min_size: int = 0) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(ids), min_size=min_size, max_size=len(ids), unique=True)


# --- the parts of a case -----------------------------------------------------------------------


@st.composite
def posts(draw, post_id: str | None, pupil_names: st.SearchStrategy[str] = person_names,
          adult_names: st.SearchStrategy[str] = person_names) -> dict[str, Any]:
    """One post: any platform (a name for 'other', no url on WhatsApp at times), any text."""
    platform = draw(st.sampled_from(PLATFORMS))
    data: dict[str, Any] = {"platform": platform, "posted": draw(moments),
                            "text": draw(post_texts),
                            "concerns": draw(st.lists(st.sampled_from(CONCERNS), min_size=1,
                                                      max_size=4, unique=True)),
                            "status": draw(st.sampled_from(("live", "removed")))}
    if post_id is not None:
        data["id"] = post_id
    if platform == "other":
        data["platform_name"] = draw(st.one_of(st.sampled_from(SITE_NAMES), lines))
    if platform != "whatsapp" or draw(st.booleans()):
        data["url"] = f"https://example.org/{platform}/{draw(st.integers(1, 10**6))}"
    if draw(st.booleans()):
        data["captured"] = draw(moments)
        data["captured_by"] = draw(st.sampled_from(("Office Manager", "Headteacher")))
    if draw(st.booleans()):
        data["visibility"] = draw(st.sampled_from(VISIBILITIES))
    about = []
    for role in draw(st.lists(st.sampled_from(ROLES), max_size=3)):
        person: dict[str, Any] = {"role": role}
        if role == "pupil":
            person["name"] = draw(pupil_names)
        elif draw(st.booleans()):
            person["name"] = draw(adult_names)
        about.append(person)
    if "names_pupil" in data["concerns"] and not any(p.get("name") for p in about
                                                    if p["role"] == "pupil"):
        # `check` refuses a post marked names_pupil with no pupil recorded (issue 12).
        about.append({"role": "pupil", "name": draw(pupil_names)})
    if about or draw(st.booleans()):
        data["about"] = about
    return data


@st.composite
def history_steps(draw, ids: list[str]) -> dict[str, Any]:
    data: dict[str, Any] = {"date": draw(days), "step": draw(st.sampled_from(STEPS)),
                            "outcome": draw(st.sampled_from(OUTCOMES))}
    if draw(st.booleans()):
        data["by"] = draw(st.sampled_from(("Headteacher", "Mrs Carter", "Office Manager")))
    if draw(st.booleans()):
        data["posts"] = draw(subsets(ids))  # may be empty: the step concerned no post
    if draw(st.booleans()):
        data["notes"] = draw(post_texts)
    return data


@st.composite
def override_entries(draw, ids: list[str]) -> dict[str, Any]:
    """One override; a platform at times, on any kind of letter (it narrows only platform ones)."""
    data: dict[str, Any] = {"letter": draw(st.sampled_from(KINDS)),
                            "action": draw(st.sampled_from(("include", "exclude"))),
                            "reason": draw(reasons)}
    if draw(st.booleans()):
        data["platform"] = draw(st.sampled_from(PLATFORMS))
    if draw(st.booleans()):
        data["posts"] = draw(subsets(ids, min_size=1))
    return data


@st.composite
def case_dicts(draw, overrides: bool | None = False, min_posts: int = 1, max_posts: int = 6,
               pupil_names: st.SearchStrategy[str] = person_names,
               poster_names: st.SearchStrategy[str] = person_names) -> dict[str, Any]:
    """A case as its YAML file holds it (dates as date objects).

    overrides: False none, True at least one, None any number. pupil_names and poster_names:
    where the names of pupils (children, posts' subjects) and of adults (the poster, staff and
    others posts are about) come from.
    """
    count = draw(st.integers(min_posts, max_posts))
    # Ids: all default (P1, P2, ...), all given, or some of each; given ids never clash with
    # the defaults.
    style = draw(st.sampled_from(("default", "given", "mixed")))
    given = [style == "given" or (style == "mixed" and draw(st.booleans())) for _ in range(count)]
    ids = [f"E{i}" if given[i - 1] else f"P{i}" for i in range(1, count + 1)]
    post_list = [draw(posts(pid if g else None, pupil_names, poster_names))
                 for pid, g in zip(ids, given)]

    poster: dict[str, Any] = {"name": draw(poster_names),
                              "address": ["12 Example Road", "Bexton", "WA16 0XX"]}
    if draw(st.booleans()):
        poster["salutation"] = draw(person_names)
    if draw(st.booleans()):
        poster["relationship"] = draw(st.sampled_from(RELATIONSHIPS))
    children = draw(st.lists(st.builds(lambda n, c: {"name": n, "class": c}, pupil_names,
                                       st.sampled_from(("Year 1", "Year 4", "Reception"))),
                             max_size=2))
    if children:
        poster["children"] = children

    steps = draw(st.lists(history_steps(ids), max_size=5))
    data: dict[str, Any] = {
        "case_id": draw(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,20}", fullmatch=True)),
        "opened": draw(days), "poster": poster, "posts": post_list,
        "history": sorted(steps, key=lambda s: s["date"]),
    }
    if overrides is not False:
        data["overrides"] = draw(st.lists(override_entries(ids),
                                          min_size=1 if overrides else 0, max_size=3))
    if draw(st.booleans()):
        data["police"] = {"crime_reference": draw(st.sampled_from(("CR-1234/26", "CR-9/27")))}
        if draw(st.booleans()):
            data["police"]["force"] = "Cheshire Constabulary"
    return data


def cases(overrides: bool | None = False, **kwargs) -> st.SearchStrategy[Case]:
    """Random valid Case objects (see case_dicts)."""
    return case_dicts(overrides=overrides, **kwargs).map(Case.model_validate)


# --- one case around one post's text -----------------------------------------------------------


def concern_case(text: str) -> Case:
    """One live Facebook post holding `text` and no history: the plan is one concern letter."""
    return Case.model_validate({
        "case_id": "PROP-001", "opened": date(2026, 11, 2),
        "poster": {"name": "Mrs Jane Doe", "salutation": "Mrs Doe",
                   "address": ["12 Example Road", "Bexton", "WA16 0XX"]},
        "posts": [{"id": "P1", "platform": "facebook",
                   "url": "https://www.facebook.com/groups/123/posts/456",
                   "posted": date(2026, 10, 30), "text": text,
                   "concerns": ["negative_comment"], "status": "live"}],
    })


# --- a case as a file --------------------------------------------------------------------------


class _NoAliasDumper(yaml.SafeDumper):
    """Case files may not use YAML aliases; never write one for a value that appears twice."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def to_yaml(data: dict[str, Any]) -> str:
    """A case dict as the text of a case file.

    ASCII with escapes: YAML itself reads a raw NEL, U+2028 or U+2029 in a file as a line
    break, and the case reader refuses them as typed, so only escapes carry them.
    """
    return yaml.dump(data, Dumper=_NoAliasDumper, allow_unicode=False, sort_keys=False,
                     width=1000)

