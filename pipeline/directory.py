"""The platform directory: who runs each platform, how to reach them, and their own rules.

The facts live in ``data/platforms.yaml`` (the school corrects them there, without code); this
module reads that file with pipeline.case.yaml.load_yaml, so a duplicate key or a bad value is
reported as ``FILE:LINE: field: message`` (worded as for a case file: case/load.problems_from,
with the same text, date and yes/no values as case/model.py), and checks it against the typed
model below. ``letters check`` checks it too. The letters read ./data/platforms.yaml when the
current folder has one, else the copy installed with the program (package data), once per
process.

The use the letters make of it:

    directory = platform_directory()                   # ./data/platforms.yaml, cached
    entry = directory.entry(post.platform, post.platform_name)
    entry.rules_for(post.concerns)                     # only the rules the post engages

``rules_for`` is what stops a letter citing every rule a platform has: a post that is only
defamatory engages no community rule (defamation goes by the legal route), so it gets none.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainValidator, ValidationError
from pydantic_core import PydanticCustomError

from pipeline.case.load import problems_from
from pipeline.case.model import Concern, Day, Flag, Platform, _text
from pipeline.case.yaml import dotted, load_yaml, read_text
from pipeline.errors import InvalidInput, Problem

# The office's copy, under the current directory; the program carries its own copy (package data)
# for a `letters` run anywhere else.
DEFAULT_DIRECTORY = Path("data/platforms.yaml")
SHIPPED_PACKAGE = "pipeline.platform_data"
FILE_NAME = "platforms.yaml"

# The case files' `concerns` vocabulary (docs/case-format.md), including allegation_of_harm.
# Its order is the order in which rules_for lists rules and offences are looked up.
CONCERNS: tuple[str, ...] = get_args(Concern)

PlatformKey = Platform
PLATFORMS: tuple[str, ...] = get_args(Platform)
OWN_SITES = frozenset({"school_forum", "school_website"})

# The placeholder the `other` entry uses for the site's name given in the case.
NAME = "{name}"

# Fields of an entry that may be listed under `unconfirmed:` (the others carry their own flag).
Unconfirmable = Literal["label", "operator", "operator_address", "rules_name"]

# What a platform's legal route takes (`legal_contact.takes`): a defamation complaint, and other
# unlawful content (a post that may be an offence but breaks none of the platform's listed
# rules). Breaches of the platform's own rules always go by its standard report (abuse_report).
Ground = Literal["defamation", "illegal_content"]

# --- values (text, dates and flags are the case file's: pipeline/case/model.py) ---------------


def _words(value: Any) -> str:
    """Text on one line: the case's text, with runs of spaces and line breaks made one space
    (a folded `>-` paragraph reads as one line in a letter)."""
    text = " ".join(_text(value).split())
    if not text:
        raise PydanticCustomError("empty_text", "is empty; write the text or remove the line")
    return text


def _url(value: Any) -> str:
    text = _words(value)
    if not text.startswith("https://") or " " in text or len(text) <= len("https://"):
        raise PydanticCustomError(
            "not_https", "'{value}' is not a web address beginning with https:// (write the "
            "whole address, e.g. https://www.example.com/page)", {"value": text[:80]})
    return text


_LOOKS_LIKE_ADDRESS = re.compile(r"^([a-z][a-z0-9+.-]*://|www\.)", re.IGNORECASE)


def _source(value: Any) -> str:
    """A web address (https only), or for facts not from the web, the document in words."""
    text = _words(value)
    if _LOOKS_LIKE_ADDRESS.match(text):
        return _url(text)
    return text


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def _email(value: Any) -> str:
    text = _words(value)
    if not _EMAIL.fullmatch(text):
        raise PydanticCustomError("not_email", "'{value}' is not an email address",
                                  {"value": text[:80]})
    return text


def _one_or_many(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


def _blank_is_empty(value: Any) -> Any:
    # `rules:` or `unconfirmed:` with nothing after it is YAML's null: nothing listed.
    return () if value is None else value


Words = Annotated[str, PlainValidator(_words)]
Url = Annotated[str, PlainValidator(_url)]
Email = Annotated[str, PlainValidator(_email)]
SourceRef = Annotated[str, PlainValidator(_source)]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- the model -----------------------------------------------------------------------------


class Rule(_Frozen):
    """One of a platform's own rules, as the platform names it."""

    name: Words
    url: Url | None = None
    unconfirmed: Flag = False
    note: Words | None = None


class LegalContact(_Frozen):
    """How to send the operator a legal notice: in plain words, and by web form, email or post;
    and what the route takes (`takes`: a form for defamation alone, or for any unlawful
    content). Content that breaks the platform's own rules goes by its standard report."""

    how: Words
    web_form: Url | None = None
    email: Email | None = None
    post: tuple[Words, ...] | None = None
    takes: Annotated[tuple[Ground, ...], BeforeValidator(_one_or_many),
                     Field(min_length=1)] = ("defamation",)
    unconfirmed: Flag = False
    note: Words | None = None


class Route(_Frozen):
    """A way of doing something with the platform (reporting a post, preserving data)."""

    how: Words
    url: Url | None = None
    unconfirmed: Flag = False
    note: Words | None = None


class PlatformEntry(_Frozen):
    """Everything the letters know about one platform."""

    label: Words
    own_site: Flag = False
    operator: Words
    operator_address: tuple[Words, ...] | None = None
    legal_contact: LegalContact | None = None
    abuse_report: Route
    preservation: Route
    rules_name: Words | None = None
    rules: Annotated[dict[Concern, Rule], BeforeValidator(lambda v: {} if v is None else v)] = {}
    unconfirmed: Annotated[tuple[Unconfirmable, ...], BeforeValidator(_blank_is_empty)] = ()
    note: Words | None = None
    checked: Day
    source: Annotated[tuple[SourceRef, ...], BeforeValidator(_one_or_many), Field(min_length=1)]

    def rules_for(self, concerns: Iterable[str]) -> list[Rule]:
        """The rules the given concerns engage, once each, in the order of the concern list.

        Concerns no rule is listed under (complaint, negative_comment, usually defamatory)
        contribute nothing. An unknown concern word is a programming error: ValueError.
        """
        wanted = set(concerns)
        unknown = wanted.difference(CONCERNS)
        if unknown:
            raise ValueError(f"unknown concern(s): {', '.join(sorted(unknown))}")
        found: list[Rule] = []
        for concern in CONCERNS:
            rule = self.rules.get(concern) if concern in wanted else None
            if rule is not None and all((r.name, r.url) != (rule.name, rule.url) for r in found):
                found.append(rule)
        return found

    def is_confirmed(self, field_name: str) -> bool:
        """False when `field_name` is listed under `unconfirmed:`."""
        return field_name not in self.unconfirmed


class Directory(_Frozen):
    """The whole file: one entry per platform key of the case format."""

    facebook: PlatformEntry
    instagram: PlatformEntry
    x: PlatformEntry
    tiktok: PlatformEntry
    snapchat: PlatformEntry
    youtube: PlatformEntry
    whatsapp: PlatformEntry
    school_forum: PlatformEntry
    school_website: PlatformEntry
    other: PlatformEntry

    def entry(self, platform: str, platform_name: str | None = None) -> PlatformEntry:
        """The entry for `platform`; for `other`, the generic entry named after the site."""
        if platform not in PLATFORMS:
            raise KeyError(f"unknown platform '{platform}' (platforms: {', '.join(PLATFORMS)})")
        found: PlatformEntry = getattr(self, platform)
        if platform == "other":
            return _named(found, (platform_name or "").strip() or "the website")
        return found

    def entries(self) -> dict[str, PlatformEntry]:
        """Every entry by its platform key, in the order of the case format's list."""
        return {key: getattr(self, key) for key in PLATFORMS}


def _named(entry: PlatformEntry, name: str) -> PlatformEntry:
    def fill(text: str | None) -> str | None:
        return None if text is None else text.replace(NAME, name)

    update: dict[str, Any] = {"label": fill(entry.label), "operator": fill(entry.operator),
                              "abuse_report": entry.abuse_report.model_copy(
                                  update={"how": fill(entry.abuse_report.how)}),
                              "preservation": entry.preservation.model_copy(
                                  update={"how": fill(entry.preservation.how)})}
    if entry.legal_contact is not None:
        update["legal_contact"] = entry.legal_contact.model_copy(
            update={"how": fill(entry.legal_contact.how)})
    return entry.model_copy(update=update)


# --- reading the file ----------------------------------------------------------------------


def shipped_directory() -> Path:
    """The copy of data/platforms.yaml installed with the program (package data).

    In a source checkout whose installation predates the package data, the repository's own
    data/platforms.yaml is the shipped copy."""
    try:
        return Path(str(resources.files(SHIPPED_PACKAGE) / FILE_NAME))
    except ModuleNotFoundError:
        return Path(__file__).resolve().parent.parent / DEFAULT_DIRECTORY


def directory_path() -> Path:
    """The directory the letters use: ./data/platforms.yaml (the school's copy, corrected there
    without code), else the copy shipped with the program."""
    return DEFAULT_DIRECTORY if DEFAULT_DIRECTORY.is_file() else shipped_directory()


def platform_directory(path: Path | str | None = None) -> Directory:
    """The platform directory, read and checked once per process (again only if the file
    changes): `path`, else ./data/platforms.yaml, else the shipped copy."""
    path = Path(path) if path is not None else directory_path()
    try:
        stat = path.stat()
    except OSError:  # let load_directory report it in the usual words
        return load_directory(path)
    return _cached(os.fspath(path.resolve()), os.fspath(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _cached(resolved: str, shown: str, mtime_ns: int, size: int) -> Directory:
    return load_directory(shown)


def load_directory(path: Path | str = DEFAULT_DIRECTORY, text: str | None = None) -> Directory:
    """Read and check the platform directory; InvalidInput lists every problem as FILE:LINE."""
    path = Path(path)
    if text is None:
        text = read_text(path)
    if not re.sub(r"#.*", "", text).strip():  # nothing but blank lines and comments
        raise InvalidInput([Problem(os.fspath(path), 1, "", "is empty; the platform directory "
                                    "needs an entry for each platform (facebook, instagram, ...)")])
    located = load_yaml(path, text)
    problems = list(located.problems)
    directory = None
    try:
        directory = Directory.model_validate(located.data)
    except ValidationError as exc:
        problems += problems_from(exc, located, Directory, wording=_wording)
    if directory is not None:
        problems += [Problem(located.source, located.line_of(where), dotted(where), message)
                     for where, message in _cross_problems(directory)]
    if problems:
        raise InvalidInput(sorted(problems, key=lambda p: p.line or 0))
    assert directory is not None
    return directory


def _cross_problems(directory: Directory) -> list[tuple[tuple, str]]:
    """Checks that span fields of an entry, each with the path it belongs at."""
    found: list[tuple[tuple, str]] = []
    for key, entry in directory.entries().items():
        own = key in OWN_SITES
        if entry.own_site != own:
            found.append(((key, "own_site"), "must be true for the school's own forum and website "
                          "and false (or left out) for every other platform"))
        if own:
            if entry.legal_contact is not None:
                found.append(((key, "legal_contact"), "the school's own site needs no legal "
                              "contact; remove it"))
            if entry.rules:
                found.append(((key, "rules"), "the school's own site has no platform rules to "
                              "cite; remove them"))
        else:
            if entry.legal_contact is None:
                found.append(((key,), "legal_contact: is required for a platform the school does "
                              "not run (say how to send a legal notice, even if only in words)"))
            if entry.rules_name is None:
                found.append(((key,), "rules_name: is required for a platform the school does not "
                              "run (what the platform calls its rules)"))
        texts = _texts(entry)
        if key == "other":
            if NAME not in entry.label:
                found.append(((key, "label"), f"must contain {NAME}, which letters replace with "
                              "the site's name from the case"))
        else:
            for where, value in texts:
                if NAME in value:
                    found.append(((key, *where), f"only the 'other' entry can use {NAME}; write "
                                  "the platform's name instead"))
    return found


def _texts(entry: PlatformEntry) -> list[tuple[tuple, str]]:
    out: list[tuple[tuple, str]] = [(("label",), entry.label), (("operator",), entry.operator)]
    for part in ("legal_contact", "abuse_report", "preservation"):
        route = getattr(entry, part)
        if route is not None:
            out.append(((part, "how"), route.how))
    return out


_MODELS_BY_PART: dict[str, type[BaseModel]] = {
    "legal_contact": LegalContact, "abuse_report": Route, "preservation": Route}


def _model_at(loc: tuple) -> type[BaseModel] | None:
    """The model whose fields belong in the mapping at `loc`."""
    if len(loc) == 0:
        return Directory
    if len(loc) == 1:
        return PlatformEntry
    if len(loc) == 2:
        return _MODELS_BY_PART.get(str(loc[1]))
    if len(loc) == 3 and loc[1] == "rules":
        return Rule
    return None


def _wording(err: dict[str, Any], loc: tuple) -> str | None:
    """The directory's own messages; everything else is worded as for a case file."""
    kind = err["type"]
    is_key = "[key]" in err["loc"]
    if kind == "extra_forbidden":
        return _extra_message(loc)
    if kind == "literal_error" and is_key:
        return _choice_message(str(loc[-1]), CONCERNS, "a concern word")
    if kind == "literal_error" and len(loc) >= 2 and loc[-2] == "unconfirmed":
        return _choice_message(str(err.get("input")), get_args(Unconfirmable),
                               "a field that can be listed as unconfirmed here (rules, contacts "
                               "and routes take 'unconfirmed: true')")
    if kind in ("not_iso_date", "date_only") and loc[-1:] == ("checked",):
        return "must be the date it was checked, in the form YYYY-MM-DD, e.g. 2026-12-01"
    return None


def _extra_message(loc: tuple) -> str:
    if len(loc) == 1:
        return _choice_message(str(loc[0]), PLATFORMS, "a platform this file describes")
    if len(loc) == 3 and loc[1] == "rules":  # pragma: no cover - keys are checked as concerns
        return _choice_message(str(loc[2]), CONCERNS, "a concern word")
    model = _model_at(loc[:-1])
    allowed = list(model.model_fields) if model is not None else []
    return _choice_message(str(loc[-1]), allowed, "a field this part of an entry can have")


def _choice_message(given: str, allowed: Iterable[str], what: str) -> str:
    allowed = list(allowed)
    message = f"'{given}' is not {what}"
    guess = difflib.get_close_matches(given, allowed, n=1, cutoff=0.6)
    if guess:
        message += f"; did you mean '{guess[0]}'?"
    if allowed:
        message += f" (allowed: {', '.join(allowed)})"
    return message
