"""Pupils' names in letters that leave the school: replaced by initials.

The policy: "The school will never reveal the full name of a child online." `pupil_redactor`
is applied to every piece of case text a third-party letter carries; `leaked_name` is the last
check over the finished letter's text before it is written.
"""

from __future__ import annotations

import re

from pipeline.case.model import Case
from pipeline.letter.words import initials


def pupil_redactor(case: Case):
    """A function replacing every pupil's name, in full or in part, with initials.

    A name is matched whole or as any run of its parts, with spaces or hyphens between them
    ("Oliver-James McKenzie" also as "Oliver James McKenzie", "James McKenzie"), in any case.
    A single part is matched only as names are written (Capitalised or CAPITALS), so "I will"
    stays when a pupil is called Will, and not after a title, so "Mrs Dutton" (an adult) stays.
    """
    multi: dict[str, str] = {}
    single: dict[str, str] = {}
    for name in case.pupils:
        short = initials(name)
        parts = [p for p in re.split(r"[\s-]+", name.strip()) if p]
        for i in range(len(parts)):
            for j in range(i + 1, len(parts) + 1):
                run = parts[i:j]
                if len(run) > 1:
                    multi.setdefault(r"[\s-]+".join(re.escape(p) for p in run), short)
                elif len(run[0]) > 1:
                    for form in (run[0][:1].upper() + run[0][1:], run[0].upper()):
                        single.setdefault(re.escape(form), short)
    if not multi and not single:
        return lambda text: text
    by_length = lambda item: len(item[0])  # noqa: E731 - longest first: whole before parts
    alternatives = [f"(?i:{pattern})" for pattern, _ in sorted(multi.items(), key=by_length,
                                                               reverse=True)]
    alternatives += [_NOT_AFTER_TITLE + pattern for pattern, _ in sorted(
        single.items(), key=by_length, reverse=True)]
    compiled = [(re.compile(p, re.IGNORECASE), short)
                for p, short in sorted(multi.items(), key=by_length, reverse=True)]
    compiled += [(re.compile(p), short)
                 for p, short in sorted(single.items(), key=by_length, reverse=True)]
    pattern = re.compile(r"(?<!\w)(" + "|".join(alternatives) + r")(?!\w)")

    def replace(match: re.Match) -> str:
        found = match.group(1)
        for regex, short in compiled:
            if regex.fullmatch(found):
                return short
        return found

    return lambda text: pattern.sub(replace, text)


_NOT_AFTER_TITLE = "".join(rf"(?<!\b{t} )(?<!\b{t}\. )" for t in ("Mr", "Mrs", "Ms", "Miss",
                                                                     "Dr", "Mx"))


def leaked_name(text: str, case: Case) -> str | None:
    """A pupil's full name found in `text` (a letter's visible text), or None."""
    # Full names only: a pupil recorded by one name ('Will') would match ordinary words
    # ('will'), and the redactor has already written every name by its initials.
    for name in (n for n in case.pupils if " " in n.strip()):
        if re.search(r"(?<!\w)" + re.escape(name) + r"(?!\w)", text, re.IGNORECASE):
            return name
    return None
