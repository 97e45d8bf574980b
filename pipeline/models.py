"""The validated case, the school profile and the plan's types.

The case model is pydantic v2: it refuses unknown keys, checks every value against the contract's
lists and gives each error a location, which `validate_case` turns into ``FILE:LINE: field:
message`` using the lines kept by cases.py. Text fields are strict: YAML's surprise booleans
(``text: no`` arrives as False), numbers and dates where text is meant are refused with a hint to
quote them, never silently turned into "False".
"""

from __future__ import annotations

import difflib
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationError,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

from pipeline.cases import Located, dotted, load_yaml
from pipeline.errors import InvalidInput, Problem

# --- the contract's vocabularies -------------------------------------------------------------

Platform = Literal["facebook", "instagram", "x", "tiktok", "snapchat", "youtube", "whatsapp",
                   "school_forum", "school_website", "other"]
Concern = Literal["allegation", "cyberbullying", "complaint", "defamatory", "negative_comment",
                  "racist", "threat_of_violence", "personal_information",
                  "confidential_information", "grossly_obscene", "harassment", "names_staff",
                  "names_pupil"]
Relationship = Literal["parent", "carer", "relative", "associated"]
Visibility = Literal["public", "group", "private"]
Role = Literal["staff", "pupil", "governor", "school", "parent"]
Status = Literal["live", "removed"]
Step = Literal["discussion", "concern_letter", "warning_letter", "host_takedown",
               "police_referral", "legal_referral", "access_restriction"]
Outcome = Literal["agreed", "refused", "no_response", "continued", "removed", "pending"]
LetterKind = Literal["concern", "warning", "host_takedown", "police_referral", "legal_referral",
                     "access_restriction"]

LETTER_KINDS: tuple[str, ...] = get_args(LetterKind)
SCHOOL_PLATFORMS = frozenset({"school_forum", "school_website"})
SERIOUS_CONCERNS = frozenset({"threat_of_violence", "racist", "grossly_obscene", "harassment"})
SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")

# --- text that survives into a Word document -------------------------------------------------

# XML 1.0 cannot hold C0 controls other than tab, line feed and carriage return, so docxtpl would
# drop them silently. Those Word itself puts into copied text become what they mean on the page;
# every other one is refused by name, so nothing is lost without anyone knowing.
_BECOMES_LINE_BREAK = {"\r\n": "\n", "\r": "\n", "\v": "\n", "\f": "\n",
                       "\u2028": "\n", "\u2029": "\n", "\x85": "\n"}
_CONTROL_NAMES = {0: "NUL", 7: "BELL", 8: "BACKSPACE", 0x1B: "ESCAPE", 0x7F: "DELETE"}
_FORBIDDEN = re.compile("[\x00-\x08\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_LINE_BREAKS = re.compile("\r\n|[\r\v\f\u2028\u2029\x85]")


def char_name(ch: str) -> str:
    code = ord(ch)
    name = _CONTROL_NAMES.get(code) or unicodedata.name(ch, "")
    if 0xD800 <= code <= 0xDFFF:
        name = "a lone surrogate, half of a broken character"
    elif not name:
        name = "control character"
    return f"U+{code:04X} ({name})"


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
                pass
        raise PydanticCustomError("not_iso_date", "'{value}' is not a date in ISO form; "
                                  + _DATE_HINT, {"value": value[:40]})
    raise PydanticCustomError("not_iso_date", "must be a date; " + _DATE_HINT)


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
            pass
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


_LIST_FIELDS = frozenset({"history", "overrides", "children", "about"})


# --- the case ----------------------------------------------------------------------------------


class Child(_Strict):
    name: Line
    class_: Line | None = Field(default=None, alias="class")


class Poster(_Strict):
    name: Line
    salutation: Line | None = None
    relationship: Relationship = "parent"
    address: list[Line] | None = None
    email: Line | None = None
    children: list[Child] = []

    @property
    def dear(self) -> str:
        return self.salutation or self.name


class Person(_Strict):
    """Someone a post is about. `meaning` and `inaccurate` serve the notice of complaint."""

    role: Role
    name: Line | None = None
    meaning: Text | None = None
    inaccurate: Text | None = None


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
    text: Text
    evidence: Line | None = None
    concerns: list[Concern] = Field(min_length=1)
    about: list[Person] = []
    status: Status = "live"
    report_reference: Line | None = None

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
    reference: Line | None = None

    def covers(self, post_id: str) -> bool:
        return self.posts is None or post_id in self.posts


class Police(_Strict):
    crime_reference: Line | None = None
    force: Line | None = None


class Override(_Strict):
    letter: LetterKind
    action: Literal["include", "exclude"]
    reason: Line
    platform: Platform | None = None
    posts: list[SafeId] | None = None


class Case(_Strict):
    case_id: SafeId
    opened: Day
    poster: Poster
    posts: list[Post] = Field(min_length=1)
    history: list[HistoryStep] = []
    police: Police | None = None
    overrides: list[Override] = []
    consent_to_disclose: Flag | None = None

    @model_validator(mode="after")
    def _number_posts(self) -> Case:
        # Posts without an id are P1, P2, ... by position, as the contract says.
        numbered = [p if p.id else p.model_copy(update={"id": f"P{i}"})
                    for i, p in enumerate(self.posts, 1)]
        object.__setattr__(self, "posts", numbered)
        return self

    def post(self, post_id: str) -> Post:
        return next(p for p in self.posts if p.id == post_id)

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


# --- turning pydantic errors into FILE:LINE: field: message -----------------------------------


def _allowed_fields(model: type[BaseModel], loc: tuple) -> list[str]:
    """Field names allowed at `loc` (the mapping an unknown key sits in)."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return []
        info = next((f for n, f in current.model_fields.items()
                     if n == part or f.alias == part), None)
        if info is None:
            return []
        current = _model_in(info.annotation)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [f.alias or n for n, f in current.model_fields.items()]
    return []


def _model_in(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _problems_from(exc: ValidationError, located: Located, model: type[BaseModel]) -> list[Problem]:
    problems = []
    for err in exc.errors(include_url=False):
        loc = tuple(p for p in err["loc"] if isinstance(p, (int, str)))
        # pydantic adds type names for unions ("list[...]", "function-plain[...]"): drop them.
        loc = tuple(p for p in loc if isinstance(p, int) or not re.search(r"[\[\]]", p))
        message = err["msg"]
        kind = err["type"]
        line = located.line_of(loc)
        if kind == "missing":
            message = "is required but missing; add it"
        elif kind == "extra_forbidden":
            allowed = _allowed_fields(model, loc[:-1])
            guess = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.6)
            message = "is not a field a case file can have"
            message += f"; did you mean '{guess[0]}'?" if guess else ""
            if allowed:
                message += f" (allowed here: {', '.join(allowed)})"
        elif kind == "literal_error":
            expected = err.get("ctx", {}).get("expected", "")
            message = f"'{_shown(err.get('input'), located, loc)}' is not one of: {expected}"
        elif kind == "required_when":
            field_name, _, message = message.partition(": ")
            loc = loc + (field_name,)
        elif kind in ("yes_no_not_text", "number_not_text", "date_not_text"):
            message += f" (you wrote {located.raw.get(loc, repr(err.get('input')))})"
        elif kind == "too_short":
            message = "needs at least one entry"
        elif kind in ("list_type", "model_type", "dict_type", "model_attributes_type"):
            message = ("must be a list (each entry on its own line starting with '- ')"
                       if kind == "list_type" else "must be a set of fields (name: value)")
        elif message.startswith("Value error, "):
            message = message[len("Value error, "):]
        problems.append(Problem(located.source, line, dotted(loc), message))
    return problems


def _shown(value: Any, located: Located, loc: tuple) -> str:
    return located.raw.get(loc, value if isinstance(value, str) else repr(value))


def _cross_check(case: Case, located: Located, case_dir: Path | None) -> list[Problem]:
    """Checks that span fields: unique post ids, references to posts, evidence files."""
    problems: list[Problem] = []

    def add(path: tuple, field_name: str, message: str) -> None:
        problems.append(Problem(located.source, located.line_of(path), field_name, message))

    seen: dict[str, int] = {}
    for i, post in enumerate(case.posts):
        if post.id in seen:
            add(("posts", i, "id"), dotted(("posts", i, "id")),
                f"'{post.id}' is already the id of post {seen[post.id] + 1}; ids must differ")
        seen.setdefault(post.id, i)
    sites: dict[str, tuple[int, str]] = {}
    for i, post in enumerate(case.posts):
        if post.platform != "other" or not post.platform_name:
            continue
        name = " ".join(re.sub(r"[^a-z0-9]+", " ", post.platform_name.casefold()).split())
        first, other = sites.setdefault(post.platform_key, (i, name))
        if other != name:  # a slug cut at 40 characters: one letter would go to both sites
            add(("posts", i, "platform_name"), dotted(("posts", i, "platform_name")),
                f"'{post.platform_name}' and the site of post {first + 1} "
                f"('{case.posts[first].platform_name}') begin with the same 40 letters and "
                "digits, so they would share one letter; name them so they differ sooner")
    known = ", ".join(seen)
    for i, step in enumerate(case.history):
        for j, pid in enumerate(step.posts or []):
            if pid not in seen:
                add(("history", i, "posts", j), dotted(("history", i, "posts")),
                    f"'{pid}' is not the id of a post in this case (posts: {known})")
    for i, override in enumerate(case.overrides):
        for j, pid in enumerate(override.posts or []):
            if pid not in seen:
                add(("overrides", i, "posts", j), dotted(("overrides", i, "posts")),
                    f"'{pid}' is not the id of a post in this case (posts: {known})")
    if case_dir is not None:
        for i, post in enumerate(case.posts):
            if post.evidence:
                problem = evidence_problem(case_dir, post.evidence)
                if problem:
                    add(("posts", i, "evidence"), dotted(("posts", i, "evidence")), problem)
    return problems


EVIDENCE_TYPES = {b"\x89PNG\r\n\x1a\n": "png", b"\xff\xd8\xff": "jpeg"}


def evidence_path(case_dir: Path, evidence: str) -> Path:
    return (case_dir / evidence).resolve()


def evidence_problem(case_dir: Path, evidence: str) -> str | None:
    """Why an evidence path cannot be used, or None. It must stay inside the case's folder."""
    base = case_dir.resolve()
    try:
        target = evidence_path(case_dir, evidence)
    except (OSError, RuntimeError) as exc:  # a name too long, a symlink loop
        return f"the screenshot path '{evidence[:80]}' cannot be used ({exc})"
    if Path(evidence).is_absolute() or not target.is_relative_to(base):
        return (f"'{evidence}' points outside the case file's folder; keep screenshots beside "
                "the case file (e.g. evidence/case-P1.png)")
    try:
        if not target.is_file():
            return f"no screenshot at '{evidence}' (looked for {target}); check the file name"
        with open(target, "rb") as handle:
            head = handle.read(8)
    except OSError as exc:
        return f"the screenshot '{evidence}' cannot be read ({exc.strerror or exc})"
    if not any(head.startswith(magic) for magic in EVIDENCE_TYPES):
        return f"'{evidence}' is not a PNG or JPEG image; save the screenshot as .png or .jpg"
    return None


PLACEHOLDER = "FILL IN"


def _placeholders(located: Located) -> list[Problem]:
    """Values a `letters new-case` skeleton left as FILL IN: the case is not finished."""
    found: list[Problem] = []

    def walk(value: Any, path: tuple) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(item, path + (key,))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, path + (i,))
        elif isinstance(value, str) and PLACEHOLDER in value:
            found.append(Problem(located.source, located.line_of(path), dotted(path),
                                 f"still says {PLACEHOLDER}; replace it with the real "
                                 "details (the case is not finished)"))

    walk(located.data, ())
    return found


def case_schema() -> dict[str, Any]:
    """The case file's JSON Schema, for editors (yaml-language-server) and other tools."""
    schema = Case.model_json_schema(by_alias=True)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "Bexton case file", **schema}


@dataclass
class LoadedCase:
    """A validated case with where it came from (for line numbers, hashes and evidence)."""

    case: Case
    path: Path
    text: str
    located: Located = field(repr=False)


def validate_case(path: Path | str, text: str | None = None) -> LoadedCase:
    """Load and validate one case file, or raise InvalidInput with every problem in it."""
    from pipeline.cases import read_text

    path = Path(path)
    if text is None:
        text = read_text(path)
    located = load_yaml(path, text)
    problems = list(located.problems) + _placeholders(located)
    case = None
    if not isinstance(located.data, dict):
        problems.append(Problem(located.source, 1, "", "must be a set of fields (case_id: ..., "
                                "opened: ..., poster: ..., posts: ...), not a single value or list"))
    else:
        try:
            case = Case.model_validate(located.data)
        except ValidationError as exc:
            problems += _problems_from(exc, located, Case)
    if case is not None:
        problems += _cross_check(case, located, path.parent)
    if problems:
        problems.sort(key=lambda p: (p.line or 0))
        raise InvalidInput(problems)
    return LoadedCase(case=case, path=path, text=text, located=located)


def load_school(path: Path | str) -> School:
    """The school profile, validated the same way as a case file."""
    from pipeline.cases import read_text

    path = Path(path)
    text = read_text(path)
    located = load_yaml(path, text)
    problems = list(located.problems)
    try:
        school = School.model_validate(located.data)
    except ValidationError as exc:
        problems += _problems_from(exc, located, School)
        school = None
    if problems:
        raise InvalidInput(problems)
    return school


# --- the plan ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedLetter:
    """One letter the policy calls for now: to whom, about which posts, why, on which clause."""

    kind: str
    to: str
    posts: tuple[str, ...]
    reasons: tuple[str, ...]
    clauses: tuple[str, ...]
    platform: str | None = None
    overrides: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """What makes two letters 'the same letter' across runs: kind and platform."""
        return f"{self.kind}-{self.platform}" if self.platform else self.kind

    def as_json(self) -> dict:
        out: dict[str, Any] = {"kind": self.kind, "to": self.to, "posts": list(self.posts),
                               "reasons": list(self.reasons), "clauses": list(self.clauses)}
        if self.platform:
            out["platform"] = self.platform
        if self.overrides:
            out["overrides"] = list(self.overrides)
        return out


@dataclass(frozen=True)
class Excluded:
    kind: str
    platform: str | None
    reason: str


@dataclass(frozen=True)
class Plan:
    case_id: str
    letters: tuple[PlannedLetter, ...]
    notes: tuple[str, ...] = ()
    excluded: tuple[Excluded, ...] = ()

    def as_json(self) -> dict:
        out: dict[str, Any] = {"case_id": self.case_id,
                               "letters": [letter.as_json() for letter in self.letters]}
        if self.notes:
            out["notes"] = list(self.notes)
        if self.excluded:
            out["excluded"] = [{"kind": e.kind, "platform": e.platform, "reason": e.reason}
                               for e in self.excluded]
        return out
