"""The case told in plain words, for any letter: who did what and when, in the first person where
the signatory did it, and the small facts letters share (an account's handle, a reference that
must not break across lines, the limitation date).

Every sentence here states only what a case field records; a letter kind's builder decides which
of them its reader may be told.
"""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import urlsplit

from pipeline import kinds
from pipeline.case.model import HistoryStep, Post, School
from pipeline.dates import day_of, long_date
from pipeline.policy import Facts, StepState
from pipeline.words import TITLES, join

NBSP = "\u00a0"
NB_HYPHEN = "\u2011"


def keep_together(text: str) -> str:
    """A telephone number, crime reference or letter reference that must not break across
    lines: its spaces become no-break spaces and its hyphens no-break hyphens."""
    return text.replace(" ", NBSP).replace("-", NB_HYPHEN)


def _surname_key(text: str) -> tuple[str, str] | None:
    words = text.replace(".", "").split()
    if len(words) >= 2 and words[0] in TITLES:
        return words[0].casefold(), words[-1].casefold()
    return None


def is_signatory(by: str | None, school: School) -> bool:
    """Whether a history entry's `by` is the person who signs the letters."""
    if not by:
        return False
    said = by.strip().casefold()
    signatory = school.signatory
    if said in (signatory.role.casefold(), signatory.name.casefold()):
        return True
    mine = _surname_key(signatory.name)
    return mine is not None and _surname_key(by) == mine


def who(by: str | None, school: School, *, to_poster: bool) -> str:
    """The person who took a step, as the letter names them: "I" for the signatory; "my
    colleague, the Deputy Headteacher," (to the poster) or "the Deputy Headteacher"; "the
    school" when the case does not say."""
    if is_signatory(by, school):
        return "I"
    if not by:
        return "the school"
    titled = by.split()[0].rstrip(".") in TITLES
    named = by if titled else f"the {by}"
    return (f"my colleague {named}" if titled else f"my colleague, {named},") if to_poster \
        else named


def _them(n: int) -> str:
    return "them" if n > 1 else "it"


def _posts_words(posts: list[Post]) -> str:
    return f"post{'s' if len(posts) > 1 else ''}"


def _outcome(state: StepState, posts: list[Post], me: str) -> str:
    n = len(posts) or 1
    outcome = state.step.outcome
    still = f"{'they are' if n > 1 else 'it is'} still online" if any(p.live for p in posts) \
        else ""
    if outcome == "agreed":
        # Only a date the case records as agreed (`due:`): the default period is the school's
        # reckoning, not something the poster agreed to.
        by = f" by {long_date(state.step.due)}" if state.step.due else ""
        late = f", but {still}" if state.overdue and still else ""
        return f"you agreed to remove {_them(n)}{by}{late}"
    if state.step.step == kinds.HOST_TAKEDOWN.step and (state.overdue or outcome == "pending"):
        return still
    if state.overdue or outcome == "no_response":
        return f"{me} have had no reply" + (f", and {still}" if still else "")
    if outcome == "refused":
        return f"you told {'me' if me == 'I' else 'us'} that you would not remove {_them(n)}"
    if outcome == "continued":
        return "you have since posted again"
    if outcome == "removed":
        return f"{'they were' if n > 1 else 'it was'} removed"
    return ""


def history_sentence(state: StepState, facts: Facts, school: School) -> str | None:
    """One entry of the school's history with the poster, told to the poster in the first
    person; None for a step the poster is not to be told of here (police, legal advice)."""
    step = state.step
    posts = posts_before(step, facts.case.posts)
    person = who(step.by, school, to_poster=True)
    me = "I" if person == "I" else "we"
    on = f"On {long_date(step.date)}"
    things = _posts_words(posts)
    if step.step == kinds.DISCUSSION:
        how = "spoke to you by telephone" if step.method == "phone" else "met you"
        said = f"{on} {person} {how} about your {things}"
    elif step.step == kinds.CONCERN.step:
        said = f"{on} {person} wrote to you about your {things}, asking for {_them(len(posts))} " \
               "to be removed"
    elif step.step == kinds.WARNING.step:
        said = f"{on} {person} wrote to you with a formal warning"
    elif step.step == kinds.HOST_TAKEDOWN.step:
        platforms = join(list(dict.fromkeys(_platform_label(p) for p in posts)))
        said = f"{on} the school reported your {things} to {platforms or 'the platform'}"
    elif step.step == kinds.ACCESS_RESTRICTION.step:
        return f"{on} {person} restricted your access to the school's online forum."
    elif step.step == kinds.PREMISES_NOTICE.step:
        return f"{on} {person} wrote to you about your access to the school premises."
    else:
        return None
    outcome = _outcome(state, posts, me)
    return f"{said}; {outcome}." if outcome else f"{said}."


def _platform_label(post: Post) -> str:
    from pipeline.platforms import platform_info

    return platform_info(post.platform, post.platform_name).label


def posts_before(step: HistoryStep, posts: list[Post]) -> list[Post]:
    """The posts a history step can have been about: those it covers that were posted by its
    date (a meeting cannot have discussed a post made after it). All it covers if none were."""
    covered = [p for p in posts if step.covers(p.id)]
    return [p for p in covered if day_of(p.posted) <= step.date] or covered


def history_for_poster(facts: Facts, school: School) -> list[str]:
    """The history the poster took part in or may know of, oldest first, one sentence a step."""
    return [said for state in facts.steps
            if (said := history_sentence(state, facts, school)) is not None]


def sent_in(history: list[HistoryStep], kind: kinds.Kind) -> list[HistoryStep]:
    """History entries recording letters of `kind` as sent."""
    return [h for h in history if h.step == kind.step]


_HANDLE_RULES = (
    (re.compile(r"(?:^|\.)(?:x|twitter)\.com$"), lambda parts: f"@{parts[0]}"
     if parts and parts[0] not in ("i", "home", "search", "intent") else None),
    (re.compile(r"(?:^|\.)(?:tiktok|youtube)\.com$"),
     lambda parts: next((p for p in parts if p.startswith("@")), None)),
    (re.compile(r"(?:^|\.)facebook\.com$"), lambda parts: f"facebook.com/{parts[0]}"
     if parts and parts[0] not in ("groups", "permalink.php", "story.php", "share", "watch",
                                   "photo", "photo.php") else None),
    (re.compile(r"(?:^|\.)instagram\.com$"), lambda parts: f"@{parts[0]}"
     if parts and parts[0] not in ("p", "reel", "reels", "stories", "explore") else None),
)


def where_posted(post: Post) -> str:
    """How widely a post was made, in words: "publicly", "in the group “…”"."""
    if post.visibility == "public":
        return "publicly"
    if post.visibility == "group":
        return f"in the group \u201c{post.group.name}\u201d" if post.group else "in a group"
    return "to a restricted audience"


def handle_of(post: Post) -> tuple[str, bool]:
    """(the account that posted, whether it was read from the web address rather than recorded):
    ('@leebrann88', True) for an x.com URL with no `handle` in the case; ('', False) if none."""
    if post.handle:
        return post.handle, False
    if not post.url:
        return "", False
    parts = urlsplit(post.url)
    host = (parts.hostname or "").casefold()
    path = [p for p in parts.path.split("/") if p]
    for pattern, read in _HANDLE_RULES:
        if pattern.search(host):
            found = read(path)
            return (found, True) if found else ("", False)
    return "", False


def limitation_date(posts: list[Post]) -> date | None:
    """One year from the first publication (Limitation Act 1980 s4A), for defamation."""
    if not posts:
        return None
    first = min(day_of(p.posted) for p in posts)
    try:
        return first.replace(year=first.year + 1)
    except ValueError:  # 29 February
        return first.replace(year=first.year + 1, day=28)
