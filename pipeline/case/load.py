"""Loading a case file or the school profile: YAML, then the model, then checks across fields.

Every problem in a file is collected before anything is reported, each as ``FILE:LINE: field:
message``: pydantic's error locations are mapped back to the lines case/yaml.py kept.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel, ValidationError

from pipeline.case.images import MAX_BYTES as MAX_IMAGE_BYTES
from pipeline.case.images import image_problem
from pipeline.case.model import Case, School
from pipeline.case.pupils import name_findings
from pipeline.case.yaml import Located, dotted, load_yaml, read_text
from pipeline.dates import DateProblem, after_today, date_problems, long_date, real_today
from pipeline.errors import InvalidInput, Problem

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


# A file's own wording for some errors: given pydantic's error and its location (the names
# pydantic adds for validators and unions dropped), a message, or None for the usual one.
Wording = Callable[[dict[str, Any], tuple], "str | None"]


def problems_from(exc: ValidationError, located: Located, model: type[BaseModel], *,
                  wording: Wording | None = None) -> list[Problem]:
    """Pydantic's errors as FILE:LINE: field: message problems worded for office staff; any
    file read with case/yaml.py can use it (the case, the school profile, the platform
    directory), with `wording` for the messages only that file needs."""
    problems = []
    for err in exc.errors(include_url=False):
        loc = tuple(p for p in err["loc"] if isinstance(p, (int, str)))
        # pydantic adds type names for unions ("list[...]", "function-plain[...]", "[key]"):
        # drop them.
        loc = tuple(p for p in loc if isinstance(p, int) or not re.search(r"[\[\]]", p))
        message = err["msg"]
        kind = err["type"]
        line = located.line_of(loc)
        own = wording(err, loc) if wording is not None else None
        if own is not None:
            message = own
        elif kind == "missing":
            message = "is required but missing; add it"
        elif kind == "extra_forbidden":
            allowed = _allowed_fields(model, loc[:-1])
            guess = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.6)
            message = ("is not a field the school profile can have" if model is School
                       else "is not a field a case file can have")
            message += f"; did you mean '{guess[0]}'?" if guess else ""
            if allowed:
                message += f" (allowed here: {', '.join(allowed)})"
        elif kind == "literal_error":
            expected = err.get("ctx", {}).get("expected", "")
            given = _shown(err.get("input"), located, loc)
            message = f"'{given}' is not one of: {expected}"
            guess = _closest(given, re.findall(r"'([^']*)'", expected))
            if guess:
                message = f"'{given}' is not one of the words allowed here; did you mean " \
                          f"'{guess}'? (allowed: {expected})"
            if loc[:1] == ("posts",) and loc[-1:] == ("platform",):
                if given.strip().casefold() in ("twitter", "twitter.com", "x.com"):
                    message = (f"'{given}' is not one of the words allowed here; Twitter is now "
                               f"X: write platform: x (allowed: {expected})")
                elif not guess:
                    message += (f"; for a site not listed, write platform: other and "
                                f"platform_name: {given}")
        elif kind == "required_when":
            field_name, _, message = message.partition(": ")
            loc = loc + (field_name,)
        elif kind in ("yes_no_not_text", "number_not_text", "date_not_text"):
            message += f" (you wrote {located.raw.get(loc, repr(err.get('input')))})"
        elif kind == "too_short":
            message = "needs at least one entry"
        elif kind in ("list_type", "tuple_type", "model_type", "dict_type",
                      "model_attributes_type"):
            message = ("must be a list (each entry on its own line starting with '- ')"
                       if kind in ("list_type", "tuple_type")
                       else "must be a set of fields (name: value)")
        elif message.startswith("Value error, "):
            message = message[len("Value error, "):]
        problems.append(Problem(located.source, line, dotted(loc), message))
    return problems


def _closest(given: str, allowed: list[str]) -> str | None:
    """The allowed word a typo or a capital letter most likely meant ('Tiktok' -> 'tiktok')."""
    folded = {word.casefold(): word for word in allowed}
    key = str(given).strip().casefold().replace(" ", "_")
    if key in folded:
        return folded[key]
    found = difflib.get_close_matches(key, list(folded), n=1, cutoff=0.75)
    return folded[found[0]] if found else None


def _shown(value: Any, located: Located, loc: tuple) -> str:
    return located.raw.get(loc, value if isinstance(value, str) else repr(value))


def _cross_check(case: Case, located: Located, case_dir: Path | None) -> list[Problem]:
    """Checks that span fields: unique post ids, references to posts, evidence files."""
    problems: list[Problem] = []

    def add(path: tuple, field_name: str, message: str) -> None:
        problems.append(Problem(located.source, located.line_of(path), field_name, message))

    raw_posts = located.data.get("posts") if isinstance(located.data, dict) else None

    def written(i: int) -> bool:
        """Whether post i's id is in the file (else it is P1, P2, ... by position)."""
        return not (isinstance(raw_posts, list) and i < len(raw_posts)
                    and isinstance(raw_posts[i], dict) and "id" not in raw_posts[i])

    seen: dict[str, int] = {}
    for i, post in enumerate(case.posts):
        if post.id in seen:
            first = seen[post.id]
            taken = (f"the id of post {first + 1}" if written(first) else
                     f"post {first + 1}'s id by default (it has no id: line)")
            if written(i):
                message = f"'{post.id}' is already {taken}; ids must differ"
            else:
                message = (f"post {i + 1} has no id, so its id is '{post.id}' by default, which "
                           f"is already {taken}; give it its own id (id: ...)")
            add(("posts", i, "id"), dotted(("posts", i, "id")), message)
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
    for i, post in enumerate(case.posts):
        for j, detail in enumerate(post.private_details):
            if detail.text not in post.text:
                add(("posts", i, "private_details", j, "text"),
                    dotted(("posts", i, "private_details", j, "text")),
                    f"'{detail.text[:60]}' is not in the post's text; copy it exactly as the "
                    "post has it, so it can be kept out of every letter that leaves the school")
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
            data = handle.read(MAX_IMAGE_BYTES + 1)
    except OSError as exc:
        return f"the screenshot '{evidence}' cannot be read ({exc.strerror or exc})"
    wrong = image_problem(data)  # decodable PNG or JPEG within the limits (case/images.py)
    return f"'{evidence}' is {wrong}" if wrong else None


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
    # What `check` cannot decide (Problem.warning): reported, but the case stays valid.
    warnings: list[Problem] = field(default_factory=list)


def _date_problems(case: Case, located: Located, today: date) -> list[Problem]:
    """Dates that cannot be right, at their lines: the day the case was opened, posts and
    history, and the actions the office records as done (checked like history entries)."""
    found = []
    if case.opened > today:
        found.append(DateProblem(("opened",), after_today(case.opened, today)))
    found += date_problems(case.posts, case.history, today)
    for i, step in enumerate(case.history):
        if step.due is not None and step.due < step.date:
            found.append(DateProblem(("history", i, "due"), (
                f"is {long_date(step.due)}, before the step itself on {long_date(step.date)}; "
                "write the date by which the other side agreed or was asked to act")))
    found += [problem._replace(path=("actions", *problem.path[1:]))
              for problem in date_problems(case.posts, case.actions, today)
              if problem.path[0] == "history"]
    return [Problem(located.source, located.line_of(p.path), dotted(p.path), p.message)
            for p in found]


CASE_SUFFIXES = (".yaml", ".yml")


def case_files_in(folder: Path) -> list[Path]:
    """The case files in `folder`, in name order: every file ending .yaml or .yml in any case
    (BPS-2026-030.YML saved on Windows is read, never silently left out)."""
    try:
        return sorted(p for p in folder.iterdir()
                      if p.suffix.lower() in CASE_SUFFIXES and p.is_file())
    except OSError:
        return []


def validate_case(path: Path | str, text: str | None = None, *,
                  today: date | None = None, school: School | None = None) -> LoadedCase:
    """Load and validate one case file, or raise InvalidInput with every problem in it.

    `today` (default: the real date) is what dates are checked against: nothing can have
    happened after it. Pupils' names are checked too (case/pupils.py): errors make the case
    invalid; warnings are kept in `LoadedCase.warnings` (or, when the case is invalid anyway,
    listed among its problems). `school` adds its people to the adults whose names are kept.
    """
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
            problems += problems_from(exc, located, Case)
    if case is not None:
        problems += _cross_check(case, located, path.parent)
        problems += _date_problems(case, located, today or real_today())
    warnings: list[Problem] = []
    if case is not None:
        source_lines = text.splitlines()
        for finding in name_findings(case, school):
            line = _finding_line(located, source_lines, case, finding.path, finding.index)
            message = finding.message
            if finding.also:
                others = [_finding_line(located, source_lines, case, finding.path, index)
                          for index in finding.also]
                lines = [str(n) for n in dict.fromkeys(others) if n is not None and n != line]
                count = len(finding.also) + 1
                message += (f" ({count} places; also on line{'s' if len(lines) > 1 else ''} "
                            f"{', '.join(lines)})" if lines else f" ({count} places on this line)")
            problem = Problem(located.source, line, dotted(finding.path), message,
                              warning=finding.warning)
            (warnings if finding.warning else problems).append(problem)
    if problems:
        problems = sorted(problems + warnings, key=lambda p: (p.line or 0))
        raise InvalidInput(problems)
    warnings.sort(key=lambda p: (p.line or 0))
    return LoadedCase(case=case, path=path, text=text, located=located, warnings=warnings)


def _finding_line(located: Located, source_lines: list[str], case: Case, path: tuple,
                  index: int | None) -> int | None:
    """The file line of a place in a field's text: the field's line, moved down to the line of
    the text it was found on (a block scalar's text starts on the line after its key)."""
    line = located.line_of(path)
    if line is None or index is None:
        return line
    value: Any = case
    for part in path:
        value = value[part] if isinstance(part, int) else getattr(value, part, None)
        if value is None:
            return line
    if not isinstance(value, str):
        return line
    within = value.count("\n", 0, index)
    key_line = source_lines[line - 1] if 0 < line <= len(source_lines) else ""
    after = key_line.split(":", 1)[1].split("#", 1)[0].strip() if ":" in key_line else ""
    if after[:1] in ("|", ">"):
        return min(line + 1 + within, len(source_lines))
    return line + within if "\n" in value else line


def load_school(path: Path | str) -> School:
    """The school profile, validated the same way as a case file."""
    path = Path(path)
    text = read_text(path)
    located = load_yaml(path, text)
    problems = list(located.problems)
    try:
        school = School.model_validate(located.data)
    except ValidationError as exc:
        problems += problems_from(exc, located, School)
        school = None
    if problems:
        raise InvalidInput(problems)
    return school


