"""The plain words letters are written in: the policy's phrases, names, lists and numbers.

Nothing here knows a letter kind; dates are printed by case/dates.py (`long_date`).
"""

from __future__ import annotations

# The policy's own words, quoted by the letters.
OBJECTIVES = {
    "safeguard": "Safeguard pupils, staff, governors, and anyone associated with the school from "
                 "the negative effects of social networking sites;",
    "reputation": "Safeguard the reputation of the School from unwarranted abuse on social "
                  "networking sites;",
}
USES = {
    "allegation": "Making allegations about staff or pupils at the School/cyber-bullying;",
    "complaint": "Making complaints about the School/staff at the School;",
    "defamatory": "Making defamatory statements about the School or staff at the School;",
    "negative": "Posting negative/offensive comments about specific pupils/staff at the School;",
    "racist": "Posting racist comments;",
    "threat": "Posting comments which threaten violence;",
    "personal": "Posting personal information about an individual;",
    "confidential": "Posting confidential information.",
}
USE_FOR_CONCERN = {
    "allegation": "allegation", "cyberbullying": "allegation", "harassment": "allegation",
    "complaint": "complaint", "defamatory": "defamatory", "negative_comment": "negative",
    "names_staff": "negative", "names_pupil": "negative", "grossly_obscene": "negative",
    "racist": "racist", "threat_of_violence": "threat", "personal_information": "personal",
    "confidential_information": "confidential", "allegation_of_harm": "allegation",
}
CONCERN_WORDS = {
    "allegation": "allegations about staff or pupils",
    "cyberbullying": "cyber-bullying",
    "complaint": "a complaint about the school or its staff",
    "defamatory": "statements that appear to be defamatory",
    "negative_comment": "negative or offensive comments about individuals",
    "racist": "racist comments",
    "threat_of_violence": "a threat of violence",
    "personal_information": "personal information about an individual",
    "confidential_information": "confidential information",
    "grossly_obscene": "grossly obscene material",
    "harassment": "harassment",
    "names_staff": "the naming of a member of staff",
    "names_pupil": "the naming of a pupil",
    "allegation_of_harm": "an allegation that a member of staff or a volunteer harmed a child",
}
ROLE_WORDS = {"staff": "a member of staff", "pupil": "a pupil", "governor": "a governor",
              "school": "the school", "parent": "a parent"}
OUTCOME_WORDS = {"agreed": "agreed to remove the material", "refused": "declined to remove it",
                 "no_response": "no response was received", "continued": "further posts followed",
                 "removed": "the material was removed", "pending": "the outcome is awaited"}
NUMBER_WORDS = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
                "ten", "eleven", "twelve"]

TITLES = ("Mr", "Mrs", "Ms", "Miss", "Dr", "Mx")


def join(words: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def number(n: int) -> str:
    """'two' for 2; figures from 13 up."""
    return NUMBER_WORDS[n] if 0 <= n < len(NUMBER_WORDS) else str(n)


def person(by: str | None) -> str:
    """'Mrs Carter' as written; a role such as 'Headteacher' becomes 'the Headteacher'."""
    if not by:
        return "the school"
    return by if by.split()[0].rstrip(".") in TITLES else f"the {by}"


def dear(name: str) -> str:
    """'Ms Priya Shah' -> 'Ms Shah': how a letter to a named person opens."""
    words = name.split()
    if len(words) > 2 and words[0].rstrip(".") in TITLES:
        return f"{words[0]} {words[-1]}"
    return name


def short_for(name: str, salutation: str | None, shorten) -> str:
    """How a letter names a person after the first mention: their recorded salutation when it
    is a title and a name ('Mr Zhang' for 'Mr Zhang Wei 张伟', 'Dr de la Cruz'), since only
    the office knows which word is the family name; otherwise `shorten(name)`."""
    if salutation and len(words := salutation.split()) > 1 and \
            words[0].rstrip(".") in TITLES:
        return " ".join(words)
    return shorten(name)


def initials(name: str) -> str:
    """'Sam Fenwick' -> 'S.F.'."""
    return "".join(f"{word[0].upper()}." for word in name.split() if word[:1].isalpha())


_TITLED_HE = {"mr"}
_TITLED_SHE = {"mrs", "ms", "miss"}
_PRONOUNS = {"object": ("him", "her", "them"), "possessive": ("his", "her", "their")}


def pronoun(names: list[str], *, form: str) -> str:
    """'him'/'her' (form 'object') or 'his'/'her' (form 'possessive') for one person whose title
    says which; 'them'/'their' otherwise ("Mr and Mrs Nowak", "Dr Shah", "Sam Lee", several)."""
    he, she, they = _PRONOUNS[form]
    name = names[0] if len(names) == 1 else ""
    if not name or " and " in f" {name.casefold()} " or "&" in name:
        return they
    title = name.split(" ", 1)[0].rstrip(".").casefold()
    return he if title in _TITLED_HE else she if title in _TITLED_SHE else they
