"""The validated case and the school profile (pydantic v2).

The models refuse unknown keys, check every value against the contract's lists and give each
error a location, which case/load.py turns into ``FILE:LINE: field: message``. Text fields are
strict: YAML's surprise booleans (``text: no`` arrives as False), numbers and dates where text is
meant are refused with a hint to quote them, never silently turned into "False". The letter
kinds and history steps come from the kind registry, so a new kind needs no change here.
"""

from __future__ import annotations

import calendar
import hashlib
import re
from datetime import date, datetime
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    PrivateAttr,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

from pipeline import actions, kinds
from pipeline.case.yaml import char_name

# --- the contract's vocabularies -------------------------------------------------------------

Platform = Literal["facebook", "instagram", "x", "tiktok", "snapchat", "youtube", "whatsapp",
                   "school_forum", "school_website", "other"]
Concern = Literal["allegation", "cyberbullying", "complaint", "defamatory", "negative_comment",
                  "racist", "threat_of_violence", "personal_information",
                  "confidential_information", "grossly_obscene", "harassment", "names_staff",
                  "names_pupil", "allegation_of_harm"]
Relationship = Literal["parent", "carer", "relative", "associated"]
Visibility = Literal["public", "group", "private"]
Role = Literal["staff", "pupil", "governor", "school", "parent"]
Status = Literal["live", "removed"]
Step = Literal[kinds.STEPS]  # type: ignore[valid-type]
Outcome = Literal["agreed", "refused", "no_response", "continued", "removed", "pending"]
LetterKind = Literal[kinds.NAMES]  # type: ignore[valid-type]
ActionId = Literal[actions.IDS]  # type: ignore[valid-type]
Method = Literal["post", "email", "hand", "webform", "phone"]

SCHOOL_PLATFORMS = frozenset({"school_forum", "school_website"})
SERIOUS_CONCERNS = frozenset({"threat_of_violence", "racist", "grossly_obscene", "harassment"})
# A threat, or a home address or phone number published: the clock runs in working days.
URGENT_CONCERNS = frozenset({"threat_of_violence", "personal_information"})
SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")

# --- text that survives into a Word document -------------------------------------------------

# XML 1.0 cannot hold C0 controls other than tab, line feed and carriage return, so docxtpl would
# drop them silently. Those Word itself puts into copied text become what they mean on the page;
# every other one is refused by name, so nothing is lost without anyone knowing.
_BECOMES_LINE_BREAK = {"\r\n": "\n", "\r": "\n", "\v": "\n", "\f": "\n",
                       "\u2028": "\n", "\u2029": "\n", "\x85": "\n"}
_FORBIDDEN = re.compile("[\x00-\x08\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_LINE_BREAKS = re.compile("\r\n|[\r\v\f\u2028\u2029\x85]")


def clean_text(value: str) -> str:
    """Line breaks in any spelling become '\\n'; characters Word cannot hold are refused."""
    bad = _FORBIDDEN.search(value)
    if bad:
        ch = bad.group()
        line_in_text = value.count("\n", 0, bad.start()) + 1
        raise PydanticCustomError(
            "bad_character",
            "contains the invisible character {char} (line {line} of the text), which a Word "
            "document cannot hold; delete it (it is usually pasted in by accident)",
            {"char": char_name(ch), "line": line_in_text},
        )
    return _LINE_BREAKS.sub(lambda m: _BECOMES_LINE_BREAK[m.group()], value)


def _not_text(value: Any) -> PydanticCustomError:
    if isinstance(value, bool):
        return PydanticCustomError(
            "yes_no_not_text",
            "YAML read this as a yes/no value, not text; put the text in quotes, e.g. \"no\"")
    if isinstance(value, (int, float)):
        return PydanticCustomError(
            "number_not_text", "YAML read this as a number, not text; put it in quotes")
    if isinstance(value, (date, datetime)):
        return PydanticCustomError(
            "date_not_text", "YAML read this as a date, not text; put it in quotes")
    if value is None:
        return PydanticCustomError("empty_text", "is empty; write the text or remove the line")
    return PydanticCustomError("not_text", "must be text, not a list or a set of fields")


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise _not_text(value)
    return clean_text(value)


def _post_text(value: Any) -> str:
    """A post's words, kept exactly; blank is refused (a letter would quote nothing)."""
    text = _text(value)
    if not text.strip():
        raise PydanticCustomError(
            "empty_text", "is empty; copy the words of the post (for a picture or video without "
            "words, describe it in square brackets, e.g. [photo of the school gate])")
    return text


def _line(value: Any) -> str:
    text = _text(value).strip()
    if not text:
        raise PydanticCustomError("empty_text", "is empty; write the text or remove the line")
    if "\n" in text:
        raise PydanticCustomError("multi_line", "must be on one line")
    return text


def _safe_id(value: Any) -> str:
    text = _line(value)
    if not SAFE_ID.fullmatch(text):
        raise PydanticCustomError(
            "unsafe_id",
            "'{value}' cannot name a file: use only letters, digits, '-' and '_', start with a "
            "letter or digit, at most 64 characters (e.g. BPS-2026-014)", {"value": text[:80]})
    return text


_DATE_HINT = "use the form YYYY-MM-DD, e.g. 2026-11-03"


_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August",
                "September", "October", "November", "December")
_ISO_PARTS = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?")


def _impossible(text: str) -> PydanticCustomError | None:
    """A date written in the right form that does not exist: 31 November, month 13, 25:00."""
    match = _ISO_PARTS.match(text)
    if not match:
        return None
    year, month, day = (int(match.group(i)) for i in (1, 2, 3))
    if not 1 <= month <= 12:
        why = f"there is no month {month:02d} (months run from 01 to 12)"
    elif not 1 <= day <= calendar.monthrange(year, month)[1]:
        length = calendar.monthrange(year, month)[1]
        why = f"{_MONTH_NAMES[month - 1]} {year} has {length} days, so there is no day {day}"
    elif match.group(4) and (int(match.group(4)) > 23 or int(match.group(5)) > 59):
        why = f"{match.group(4)}:{match.group(5)} is not a time of day (00:00 to 23:59)"
    else:
        return None
    return PydanticCustomError("no_such_date", "'{value}' is not a real date: {why}; check it",
                               {"value": text[:40], "why": why})


def _date(value: Any) -> date:
    if isinstance(value, datetime):
        raise PydanticCustomError("date_only", "must be a date without a time; " + _DATE_HINT)
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            try:
                return date.fromisoformat(text)
            except ValueError:
                raise _impossible(text) or _not_a_date(value) from None
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?"
                        r"(Z|[+-]\d{2}:?\d{2})?", text):
            raise PydanticCustomError(
                "date_only", "'{value}' has a time; this field takes a date without a time: "
                + _DATE_HINT, {"value": text[:40]})
        raise _not_a_date(value)
    raise PydanticCustomError("not_iso_date", "must be a date; " + _DATE_HINT)


def _not_a_date(value: str) -> PydanticCustomError:
    return PydanticCustomError("not_iso_date", "'{value}' is not a date in ISO form; "
                               + _DATE_HINT, {"value": value[:40]})


def _when(value: Any) -> date | datetime:
    if isinstance(value, (date, datetime)):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            if len(text) == 10:
                return date.fromisoformat(text)
            if len(text) >= 16:
                return datetime.fromisoformat(text)
        except ValueError:
            impossible = _impossible(text)
            if impossible:
                raise impossible from None
        raise PydanticCustomError(
            "not_iso_datetime", "'{value}' is not a date or date-time in ISO form; use "
            "YYYY-MM-DD or YYYY-MM-DDTHH:MM, e.g. 2026-10-30 or 2026-10-30T18:45",
            {"value": value[:40]})
    raise PydanticCustomError("not_iso_datetime", "must be a date or date-time, e.g. 2026-10-30")


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise PydanticCustomError("not_yes_no", "must be true or false")


Text = Annotated[str, PlainValidator(_text), WithJsonSchema({"type": "string"})]
PostText = Annotated[str, PlainValidator(_post_text),
                     WithJsonSchema({"type": "string", "minLength": 1, "pattern": "\\S"})]
Line = Annotated[str, PlainValidator(_line), WithJsonSchema({"type": "string", "minLength": 1})]
SafeId = Annotated[str, PlainValidator(_safe_id),
                   WithJsonSchema({"type": "string", "pattern": "^" + SAFE_ID.pattern + "$"})]
Day = Annotated[date, PlainValidator(_date), WithJsonSchema({"type": "string", "format": "date"})]
When = Annotated[date | datetime, PlainValidator(_when),
                 WithJsonSchema({"type": "string",
                                 "pattern": r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2})?.*)?$"})]
Flag = Annotated[bool, PlainValidator(_flag), WithJsonSchema({"type": "boolean"})]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _blank_lists_are_empty(cls, data: Any) -> Any:
        # `history:` with nothing after it is YAML's null; the contract says it may be empty.
        if isinstance(data, dict):
            blank = [k for k, v in data.items() if v is None and k in _LIST_FIELDS]
            if blank:
                data = {k: v for k, v in data.items() if k not in blank}
        return data


_LIST_FIELDS = frozenset({"history", "overrides", "children", "about", "actions", "known_as",
                          "private_details"})


# --- the case ----------------------------------------------------------------------------------


class Child(_Strict):
    name: Line
    class_: Line | None = Field(default=None, alias="class")
    known_as: list[Line] = []  # a first name, nickname or surname used alone for this pupil


class Poster(_Strict):
    name: Line
    salutation: Line | None = None
    relationship: Relationship = "parent"
    address: list[Line] | None = None
    email: Line | None = None
    children: list[Child] = []
    # false when the school does not know who runs the account (then a notice of complaint
    # under the Defamation Act 2013 s5 is possible); `identification` says how the school knows.
    identified: Flag = True
    identification: Text | None = None

    @property
    def dear(self) -> str:
        return self.salutation or self.name


class Person(_Strict):
    """Someone a post is about. `meaning` and `inaccurate` serve the notice of complaint."""

    role: Role
    name: Line | None = None
    meaning: Text | None = None  # what the words are understood to mean
    inaccurate: Text | None = None  # which parts are untrue, and the facts that show it
    known_as: list[Line] = []  # a pupil's name forms used alone ("Sam", "Haddad")
    wishes: Text | None = None  # police action wanted? a statement? have they been told?
    authority: Day | None = None  # the date this person authorised a notice in their name
    consent_to_disclose: Flag | None = None  # may a platform give the poster their name?


class PrivateDetail(_Strict):
    """Words in a post that must never be repeated in a letter that leaves the school."""

    text: Line  # exactly as in the post, e.g. "7 Linden Drive"
    kind: Line = "personal details"  # "home address", "mobile telephone number"
    person: Line | None = None  # whose they are


class Group(_Strict):
    """The group a post was made in (a WhatsApp or Facebook group)."""

    name: Line
    admin: Line | None = None  # who can remove the message
    # How a letter reaches the admin: a postal address, or an email address, as the school
    # holds them (without either the plan asks the office to record one).
    admin_address: list[Line] | None = None
    admin_email: Line | None = None


class Post(_Strict):
    id: SafeId | None = None
    platform: Platform
    platform_name: Line | None = None
    url: Line | None = None
    handle: Line | None = None
    posted: When
    captured: When | None = None
    captured_by: Line | None = None
    visibility: Visibility = "public"
    text: PostText
    evidence: Line | None = None
    concerns: list[Concern] = Field(min_length=1)
    about: list[Person] = []
    status: Status = "live"
    report_reference: Line | None = None
    reach: Text | None = None  # "shared 45 times in a group of 2,300 parents"
    evidence_redacted: Flag = False  # the screenshot filed has pupils' names redacted
    evidence_original: Line | None = None  # where the unredacted original is kept
    private_details: list[PrivateDetail] = []
    group: Group | None = None
    checked: Day | None = None  # the day the school last confirmed the post's status

    @model_validator(mode="after")
    def _platform_details(self) -> Post:
        if self.platform == "other" and not self.platform_name:
            raise PydanticCustomError("required_when", "platform_name: is required when platform "
                                      "is other; name the site, e.g. platform_name: Nextdoor")
        if self.platform != "whatsapp" and not self.url:
            raise PydanticCustomError("required_when", "url: is required (the full address of the "
                                      "post) unless the platform is whatsapp")
        return self

    @property
    def live(self) -> bool:
        return self.status == "live"

    @property
    def external(self) -> bool:
        return self.platform not in SCHOOL_PLATFORMS

    @property
    def serious(self) -> bool:
        return bool(SERIOUS_CONCERNS.intersection(self.concerns))

    @property
    def urgent(self) -> bool:
        return bool(URGENT_CONCERNS.intersection(self.concerns))

    @property
    def platform_key(self) -> str:
        """The platform as it appears in file names: the vocabulary word, or a slug of the name."""
        if self.platform == "other" and self.platform_name:
            name = self.platform_name
            slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40]
            if any(ch.isalnum() and not ch.isascii() for ch in name):
                # 'ВКонтакте' and '微博' (or 'Zoë' and 'Zo') must not share a letter: a short
                # digest of the name as typed keeps their file names apart.
                digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
                slug = f"{slug}-{digest}" if slug else digest
            if not slug:
                return "other"
            # A site called "X" or "Facebook" must not share a letter with the real platform.
            if slug in get_args(Platform) or slug[:1].isdigit():
                slug = f"other-{slug}"
            return slug
        return self.platform


class HistoryStep(_Strict):
    date: Day
    step: Step
    outcome: Outcome
    by: Line | None = None
    posts: list[SafeId] | None = None
    notes: Text | None = None
    reference: Line | None = None  # the letter's reference, e.g. BPS-2026-014/03
    due: Day | None = None  # the date by which the other side agreed or was asked to act
    method: Method | None = None  # how a letter was sent
    report_reference: Line | None = None  # a platform's reference for a report

    def covers(self, post_id: str) -> bool:
        return self.posts is None or post_id in self.posts


class ActionDone(_Strict):
    """An action (not a letter) the office has carried out, so the plan stops asking for it."""

    action: ActionId
    date: Day
    by: Line | None = None
    posts: list[SafeId] | None = None
    notes: Text | None = None

    def covers(self, post_id: str) -> bool:
        return self.posts is None or post_id in self.posts


class Police(_Strict):
    crime_reference: Line | None = None
    force: Line | None = None
    incident_number: Line | None = None  # from a 101 or 999 call
    told: Day | None = None  # when the school first told the police
    officer: Line | None = None
    may_tell_poster: Day | None = None  # when the police agreed the school may say it reported
    hold_letters: Flag = False  # the police asked the school not to contact the poster yet


class Override(_Strict):
    letter: LetterKind
    action: Literal["include", "exclude"]
    reason: Line
    date: Day | None = None  # when the decision was made
    by: Line | None = None  # who made it
    until: Day | None = None  # the end of a bar or a restriction it decides
    platform: Platform | None = None
    posts: list[SafeId] | None = None


class Case(_Strict):
    _posts_by_id: dict[str, Post] = PrivateAttr(default_factory=dict)

    case_id: SafeId
    opened: Day
    poster: Poster
    posts: list[Post] = Field(min_length=1)
    history: list[HistoryStep] = []
    police: Police | None = None
    overrides: list[Override] = []
    actions: list[ActionDone] = []
    consent_to_disclose: Flag | None = None

    @model_validator(mode="after")
    def _number_posts(self) -> Case:
        # Posts without an id are P1, P2, ... by position, as the contract says.
        numbered = [p if p.id else p.model_copy(update={"id": f"P{i}"})
                    for i, p in enumerate(self.posts, 1)]
        object.__setattr__(self, "posts", numbered)
        # Posts are looked up by id all through planning and drafting: a dict keeps a case
        # with thousands of posts linear.
        object.__setattr__(self, "_posts_by_id", {})
        for post in numbered:
            self._posts_by_id.setdefault(post.id, post)
        return self

    def post(self, post_id: str) -> Post:
        return self._posts_by_id[post_id]

    @property
    def pupils(self) -> list[str]:
        """Every pupil named in the case: the poster's children and pupils posts are about."""
        names = [c.name for c in self.poster.children]
        names += [a.name for p in self.posts for a in p.about if a.role == "pupil" and a.name]
        return list(dict.fromkeys(names))


# --- the school profile ------------------------------------------------------------------------


class Signatory(_Strict):
    name: Line
    role: Line


class PolicyInfo(_Strict):
    title: Line
    reviewed: Line
    next_review: Line
    next_review_date: Day


class Advisers(_Strict):
    name: Line
    firm: Line
    address: list[Line]
    email: Line
    telephone: Line | None = None


class School(_Strict):
    name: Line
    motto: Line
    address: list[Line] = Field(min_length=1)
    telephone: Line
    email: Line
    notices_email: Line
    website: Line | None = None
    headteacher: Line
    signatory: Signatory
    chair_of_governors: Line | None = None
    policy: PolicyInfo
    legal_advisers: Advisers
    police_force: Line
    consent_to_disclose: Flag = False
    forum_name: Line | None = None
    complaints_url: Line | None = None  # where the complaints procedure is published
    # Who to raise a concern about a child's safety with (letters to the poster name them).
    designated_safeguarding_lead: Line | None = None
