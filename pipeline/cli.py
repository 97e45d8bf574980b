"""The `letters` command: thin Click commands over the pipeline's library.

Each command parses its arguments, calls the library and prints. Errors are turned into
messages and exit statuses in one place, `_Letters.invoke`: every PipelineError carries its own
status (2 for input that cannot be used, as the contract says; 1 for anything else), and Ctrl-C
or SIGTERM stops with one line and status 130.
"""

from __future__ import annotations

import gc
import json
import os
import signal
import sys
from datetime import date
from pathlib import Path

import click

from pipeline import __version__, actions, kinds
from pipeline import draft as workflow
from pipeline.case.load import load_school
from pipeline.dates import long_date, real_today
from pipeline.draft import Settings, relative
from pipeline.errors import (
    EXIT_INTERRUPTED,
    EXIT_INVALID,
    EXIT_PROBLEM,
    EXIT_TERMINATED,
    InvalidInput,
    PipelineError,
)
from pipeline.shipped import templates_dir


class _Letters(click.Group):
    """The command group, and the one place errors become messages and exit statuses."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except InvalidInput as exc:
            for problem in exc.problems:
                click.echo(str(problem), err=True)
            raise click.exceptions.Exit(exc.exit_code) from None
        except PipelineError as exc:
            click.echo(f"Error: {exc}", err=True)
            raise click.exceptions.Exit(exc.exit_code) from None
        except KeyboardInterrupt as exc:
            click.echo("\nStopped. Everything already reported as written is archived whole; "
                       "run the command again to finish.", err=True)
            code = EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_INTERRUPTED
            raise click.exceptions.Exit(code) from None


def _iso_date(ctx, param, value):
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a date in the form YYYY-MM-DD") from None


today_option = click.option(
    "--today", callback=_iso_date, metavar="YYYY-MM-DD",
    help="Judge the case as on this day (default: today's date).")

school_option = click.option(
    "--school", "school_path", type=click.Path(path_type=Path), default=workflow.DEFAULT_SCHOOL,
    show_default=True, help="The school profile (name, address, who signs).")


@click.group(cls=_Letters, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="letters")
def cli() -> None:
    """Draft the letters Bexton Primary School's Social Media Policy calls for.

    A case file (YAML) describes the posts and what has happened so far; the plan says which
    letters the policy calls for now and why; draft writes them as Word documents you can edit.

    \b
    Example:
      letters check data/cases/BPS-2026-014.yaml
      letters plan data/cases/BPS-2026-014.yaml
      letters draft data/cases/
    """


@cli.command()
@click.argument("cases", nargs=-1, required=True, type=click.Path(path_type=Path))
@today_option
@school_option
def check(cases: tuple[Path, ...], today: date | None, school_path: Path) -> None:
    """Check case files and report every problem as FILE:LINE: field: message.

    What it cannot decide is a warning (FILE:LINE: warning: field: message), e.g. a pupil's
    first name standing alone in a post. The platform directory (data/platforms.yaml) is
    checked too when the current directory has one. Exits 0 when every file is valid (warnings
    or not), 2 when any is not. Nothing is written.

    \b
    Example:
      letters check data/cases/*.yaml
    """
    school = _school_or_none(school_path)
    shown: set[str] = set()  # a problem in the platform directory is every case's problem too
    bad = not _check_directory(shown)
    paths = workflow.case_files(cases)
    twins = workflow.duplicate_case_ids(paths)
    for path in paths:
        try:
            loaded, plan = workflow.check_case(path, school, today=today)
        except InvalidInput as exc:
            bad = True
            for problem in exc.problems + twins.get(path, []):
                if str(problem) not in shown:
                    click.echo(str(problem), err=True)
            continue
        if path in twins:
            bad = True
            for problem in twins[path]:
                click.echo(str(problem), err=True)
            continue
        for warning in loaded.warnings:
            click.echo(str(warning), err=True)
        planned = ", ".join(l.kind for l in plan.letters) or "nothing due now"
        posts = len(loaded.case.posts)
        click.echo(f"{relative(path)}: ok ({posts} post{'s' if posts != 1 else ''}; "
                   f"plan: {planned})")
    if bad:
        sys.exit(EXIT_INVALID)


def _check_directory(shown: set[str]) -> bool:
    """The platform directory the letters read (data/platforms.yaml under the current
    directory), when there is one: the school corrects it by hand, so `check` reads it too.
    Only its problems are printed (FILE:LINE: field: message)."""
    from pipeline.directory import DEFAULT_DIRECTORY, load_directory

    if not DEFAULT_DIRECTORY.is_file():
        return True
    try:
        load_directory(DEFAULT_DIRECTORY)
    except InvalidInput as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
            shown.add(str(problem))
        return False
    return True


def _school_or_none(path: Path):
    """The profile if there is one: checking a case needs it only to name recipients."""
    if not path.exists():
        if path != workflow.DEFAULT_SCHOOL:  # named on the command line, so meant
            raise click.BadParameter(f"no such file: {path}", param_hint="--school")
        return None
    return load_school(path)


@cli.command()
@click.argument("case", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the plan as one JSON object.")
@today_option
@school_option
def plan(case: Path, as_json: bool, today: date | None, school_path: Path) -> None:
    """Show what the policy calls for now: the actions first, then the letters, each with its
    reasons and the clauses (or guidance) it rests on.

    \b
    Example:
      letters plan data/cases/BPS-2026-014.yaml
      letters plan data/cases/BPS-2026-014.yaml --json
    """
    school = load_school(school_path)
    loaded, the_plan = workflow.check_case(case, school, today=today)
    _warn_review(school, today)
    for warning in loaded.warnings:
        click.echo(str(warning), err=True)
    if as_json:
        click.echo(json.dumps(the_plan.as_json(), indent=2, ensure_ascii=False))
    else:
        click.echo(format_plan(loaded.case, the_plan))
    if not the_plan.letters:
        for note in the_plan.notes:
            click.echo(note, err=True)


def _warn_review(school, today: date | None = None) -> None:
    warning = workflow.review_warning(school, today)
    if warning:
        click.echo(warning, err=True)


def format_plan(case, the_plan) -> str:
    lines = [(f"Case {case.case_id}: {case.poster.name} ({case.poster.relationship}), "
             f"{len(case.posts)} post{'s' if len(case.posts) != 1 else ''}")]
    today = the_plan.today
    if the_plan.actions:
        count = len(the_plan.actions)
        lines += ["", f"{count} thing{'s' if count != 1 else ''} to do that "
                  f"{'are' if count != 1 else 'is'} not a letter, most urgent first:"]
        for i, action in enumerate(the_plan.actions, 1):
            late = (today - action.due).days if today else 0
            when = (f"due {long_date(action.due)}" + (f", {late} day{'s' if late != 1 else ''} "
                                                       "overdue" if late > 0 else ""))
            lines.append(f"{i}. {action.spec.what} ({when})")
            for reason in action.reasons:
                lines.append(f"   Why: {reason}")
            lines.append(f"   Source: {action.spec.source}")
    if not the_plan.letters:
        lines += ["", "No letter is due now."]
        return "\n".join(lines)
    count = len(the_plan.letters)
    lines += ["", f"{count} letter{'s' if count != 1 else ''} the policy calls for now:"]
    for i, letter in enumerate(the_plan.letters, 1):
        platform = f" ({letter.platform})" if letter.platform else ""
        urgent = " URGENT" if letter.urgent else ""
        lines.append("")
        lines.append(f"{i}. {letter.kind}{platform} to {letter.to}, about "
                     f"{', '.join(letter.posts)}{urgent}")
        if letter.respond_by:
            lines.append(f"   Respond by: {long_date(letter.respond_by)}")
        if letter.send_after:
            lines.append("   Send only after: " + "; ".join(
                actions.BY_ID[a].short for a in letter.send_after))
        for reason in letter.reasons:
            lines.append(f"   Why: {reason}")
        for clause in letter.clauses:
            lines.append(f"   Policy: \"{clause}\"")
        for source in letter.guidance:
            lines.append(f"   Guidance (outside the school's policy): {source}")
    if the_plan.notes:
        lines.append("")
        lines += [f"Note: {note}" for note in the_plan.notes]
    return "\n".join(lines)


templates_option = click.option(
    "--templates", "templates_dir", type=click.Path(path_type=Path), default=None,
    help="Use the templates in this folder (default: ./letter_templates/ if there is one, "
         "else the templates installed with the program).")


@cli.command()
@click.argument("cases", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=workflow.DEFAULT_OUT,
              show_default=True, help="Folder the letters are archived in.")
@templates_option
@click.option("--date", "letter_date", callback=_iso_date, metavar="YYYY-MM-DD",
              help="Date the letters, and judge the case as on that day (default: the day each "
                   "letter is first drafted).")
@today_option
@click.option("--pdf", is_flag=True, help="Also write a PDF/A copy of each letter (LibreOffice).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Cases drafted at once (default: one per processor core).")
@school_option
def draft(cases: tuple[Path, ...], out_dir: Path, templates_dir: Path | None, letter_date,
          today: date | None, pdf: bool, jobs: int | None, school_path: Path) -> None:
    """Draft the planned letters of each case as Word documents, and archive them.

    Each letter is written once to OUT/<case_id>/ with its reference in the file name. Running
    again with the same case says "unchanged"; a changed case gives a new version (-v2) and
    never overwrites the first. Exits 2 if any case file is invalid (the others are drafted).

    \b
    Example:
      letters draft data/cases/BPS-2026-014.yaml
      letters draft data/cases/ --out output
    """
    today = letter_date or today
    settings = Settings(school_path=school_path, templates_dir=templates_dir, out_dir=out_dir,
                        letter_date=letter_date, today=today, pdf=pdf)
    paths = workflow.case_files(cases)
    _warn_review(load_school(school_path), today)
    report = _Progress(len(paths))
    try:
        outcomes = workflow.draft_many(paths, settings, progress=report,
                                       jobs=jobs or workflow.default_jobs())
    finally:
        report.done()
    report.later_notes(outcomes)
    invalid = [o for o in outcomes if o.problems]
    failed = [o for o in outcomes if o.error]
    written = sum(1 for o in outcomes for l in o.letters if l.status != "unchanged")
    unchanged = sum(1 for o in outcomes for l in o.letters if l.status == "unchanged")
    for outcome in failed:  # said as each case ended; again here, where it is seen
        click.echo(f"Not drafted: {relative(outcome.source)}: {outcome.error}", err=True)
    made = [path for o in outcomes for path in o.made]
    for path in made:
        what = {".pdf": "PDF copy", ".eml": "email draft", ".txt": "web form"}[path.suffix]
        click.echo(f"{what:>11}  {relative(path)}")
    pdfs = sum(1 for p in made if p.suffix == ".pdf")
    ready = len(made) - pdfs
    extra = (f" {pdfs} PDF cop{'ies' if pdfs != 1 else 'y'} made, {ready} ready to send by "
             "email or web form." if pdf else "")
    click.echo(f"{len(outcomes)} case{'s' if len(outcomes) != 1 else ''}: {written} "
               f"letter{'s' if written != 1 else ''} written, {unchanged} unchanged, "
               f"{len(invalid)} invalid, {len(failed)} failed.{extra}")
    if invalid:
        sys.exit(EXIT_INVALID)
    if failed:
        sys.exit(EXIT_PROBLEM)


@cli.command()
@click.argument("cases", nargs=-1, type=click.Path(path_type=Path))
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=workflow.DEFAULT_OUT,
              show_default=True, help="The archive the letters were drafted into.")
@today_option
@click.option("--json", "as_json", is_flag=True, help="Print the list as one JSON object.")
@school_option
def due(cases: tuple[Path, ...], out_dir: Path, today: date | None, as_json: bool,
        school_path: Path) -> None:
    """What to do today, across every case: actions, letters to draft, letters to send and
    record, and steps with no outcome by their due date; the most overdue first.

    Reads every case in data/cases/ unless cases are named. Exits 0 whatever is due, 2 when a
    case file is invalid (the others are still listed).

    \b
    Example:
      letters due
      letters due --today 2026-12-08 --json
    """
    from pipeline.due import due_list

    today = today or real_today()
    school = _school_or_none(school_path)
    paths = workflow.case_files(cases or [Path("data/cases")])
    found = due_list(paths, out_dir, school, today=today)
    for problem in found.problems:
        click.echo(str(problem), err=True)
    if as_json:
        click.echo(json.dumps(found.as_json(), indent=2, ensure_ascii=False))
    else:
        click.echo(format_due(found))
    if found.problems:
        sys.exit(EXIT_INVALID)


def display_width(text: str) -> int:
    """Columns `text` takes in a terminal: wide (CJK) characters two, combining marks none."""
    import unicodedata

    return sum(0 if unicodedata.combining(ch) else
               2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def wrap_to(text: str, width: int) -> list[str]:
    """`text` wrapped at spaces into lines of at most `width` columns (a longer word is split)."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        while display_width(word) > width:
            cut = 1
            while display_width(word[:cut + 1]) <= width:
                cut += 1
            if current:
                lines.append(current)
                current = ""
            lines.append(word[:cut])
            word = word[cut:]
        if current and display_width(current) + 1 + display_width(word) <= width:
            current += " " + word
        else:
            if current:
                lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines


def format_table(heads: tuple[str, ...], rows: list[tuple[str, ...]], *,
                 wrap: tuple[int, ...], right: tuple[int, ...] = ()) -> list[str]:
    """Rows as a table that fits the terminal: the `wrap` columns share the width left over and
    wrap their words onto more lines; nothing is cut off. Widths are counted in terminal columns,
    so a name in Chinese or Japanese keeps the columns after it in line."""
    import shutil

    width = max(80, shutil.get_terminal_size((100, 24)).columns)
    natural = [max(display_width(h), *(display_width(r[c]) for r in rows))
               for c, h in enumerate(heads)]
    fixed = sum(w for c, w in enumerate(natural) if c not in wrap) + 2 * (len(heads) - 1)
    room = max(12 * len(wrap), width - fixed)
    wanted = sum(natural[c] for c in wrap) or 1
    widths = [min(w, max(12, room * w // wanted)) if c in wrap else w
              for c, w in enumerate(natural)]

    def pad(cell: str, c: int) -> str:
        gap = " " * max(0, widths[c] - display_width(cell))
        return gap + cell if c in right else cell + gap

    def line(cells: list[str]) -> str:
        return "  ".join(pad(cell, c) for c, cell in enumerate(cells)).rstrip()

    out = [line(list(heads)), "-" * min(width, sum(widths) + 2 * (len(heads) - 1))]
    for row in rows:
        cells = [wrap_to(v, widths[c]) or [""] if c in wrap else [v]
                 for c, v in enumerate(row)]
        for n in range(max(len(lines) for lines in cells)):
            out.append(line([lines[n] if n < len(lines) else "" for lines in cells]))
    return out


def format_due(found) -> str:
    """The list as a table that fits the terminal: the 'what' and 'who' columns wrap."""
    unread = len({p.file for p in found.problems if not p.warning})
    incomplete = (f"{unread} case file{'s' if unread != 1 else ''} could not be read (the "
                  f"problems are listed above), so this list is not complete: fix "
                  f"{'them' if unread != 1 else 'it'} and run letters due again.")
    if not found.items:
        if unread:
            return f"Nothing is due on {long_date(found.today)} in the cases read. {incomplete}"
        return f"Nothing is due on {long_date(found.today)}."
    rows = [(i.case_id or "all cases", i.what, i.who, i.due.strftime("%d %b %Y").lstrip("0"),
             str(i.overdue_days) if i.overdue_days else "") for i in found.items]
    lines = [f"Due on {long_date(found.today)}: {len(rows)} item{'s' if len(rows) != 1 else ''}"
             ", most overdue first.", ""]
    lines += format_table(("Case", "What to do", "Who", "Due", "Days late"), rows, wrap=(1, 2),
                          right=(4,))
    if unread:
        lines += ["", incomplete]
    return "\n".join(lines)


@cli.command()
@click.argument("reference")
@click.option("--on", "on", callback=_iso_date, metavar="YYYY-MM-DD",
              help="The day it was sent (default: today).")
@click.option("--by", "method", type=click.Choice(["post", "email", "hand", "webform", "phone"]),
              default="post", show_default=True, help="How it was sent.")
@click.option("--signed", "signed", type=click.Path(path_type=Path),
              help="The signed copy you sent (.pdf or .docx), to keep beside the draft.")
@click.option("--case", "case_path", type=click.Path(path_type=Path),
              help="The case file (default: the one the letter was drafted from).")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=workflow.DEFAULT_OUT,
              show_default=True, help="The archive the letter was drafted into.")
@today_option
@school_option
def sent(reference: str, on: date | None, method: str, signed: Path | None,
         case_path: Path | None, out_dir: Path, today: date | None, school_path: Path) -> None:
    """Record that the letter REFERENCE was sent, in its case file's history.

    Adds one history entry (the step that records the letter, outcome pending, its posts, its
    reference and how it was sent) and changes nothing else in the case file. With --signed,
    the signed copy is first archived beside the draft, with its SHA-256. Refuses a letter
    already recorded as sent, a reference not in the archive, and a date before the letter's.

    \b
    Example:
      letters sent BPS-2026-014/03
      letters sent BPS-2026-014/01 --signed ~/Documents/BPS-2026-014-01-signed.pdf
      letters sent BPS-2026-014/02 --by webform --on 2026-12-02
    """
    from pipeline.sent import record_sent

    today = today or real_today()
    done = record_sent(reference, out_dir=out_dir, on=on or today, method=method, today=today,
                       school=_school_or_none(school_path), case_path=case_path, signed=signed)
    click.echo(f"Recorded in {relative(done.case_path)}: {done.reference} "
               f"({done.letter.kind.replace('_', ' ')}) sent by {method} on "
               f"{long_date(done.entry['date'])}.")


class _Progress:
    """Prints what each case wrote; on a terminal, keeps a progress bar on the last line."""

    def __init__(self, total: int):
        self.total = total
        self.count = 0
        self.bar = total > 1 and sys.stderr.isatty()
        self.notes_shown: dict[int, int] = {}

    def later_notes(self, outcomes: list[workflow.CaseOutcome]) -> None:
        """Notes added after a case was reported (by the PDF step)."""
        for outcome in outcomes:
            for note in outcome.archive_notes[self.notes_shown.get(id(outcome), 0):]:
                click.echo(f"       note  {note}")

    def __call__(self, outcome: workflow.CaseOutcome) -> None:
        self.count += 1
        if self.bar:
            click.echo("\r\033[K", nl=False, err=True)
        for problem in [*outcome.problems, *outcome.warnings]:
            click.echo(str(problem), err=True)
        if outcome.error:
            click.echo(f"{relative(outcome.source)}: not drafted: {outcome.error}", err=True)
        for letter in outcome.letters:
            click.echo(f"{letter.status:>11}  {relative(letter.path)}")
        self.notes_shown[id(outcome)] = len(outcome.archive_notes)
        for note in outcome.archive_notes:
            click.echo(f"       note  {note}")
        if outcome.ok and not outcome.letters:
            click.echo(f"    nothing  {outcome.case_id}: " + " ".join(
                outcome.notes or ["no letter is due now"]))
        if self.bar:
            done = int(30 * self.count / self.total)
            click.echo(f"[{'#' * done}{'.' * (30 - done)}] {self.count}/{self.total} cases",
                       nl=False, err=True)

    def done(self) -> None:
        if self.bar and self.count:
            click.echo("\r\033[K", nl=False, err=True)


def _seal(ctx, param, value):
    if value is None:
        return None
    value = value.strip().lower()
    if len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
        raise click.BadParameter("a seal is the 64 letters and digits 'letters verify' printed "
                                 "after 'Seal:'")
    return value


@cli.command()
@click.argument("out_dir", required=False, default=workflow.DEFAULT_OUT,
                type=click.Path(path_type=Path))
@click.option("--seal", callback=_seal, metavar="HASH",
              help="A seal an earlier verify printed: also prove that the archive still "
                   "extends the archive it was taken from (nothing recorded before it changed).")
@click.option("--adopt", is_flag=True,
              help="Start the journal of an archive drafted by an earlier version: every file "
                   "each manifest lists is checked, then recorded. Needed once.")
def verify(out_dir: Path, seal: str | None, adopt: bool) -> None:
    """Check that the archive is exactly what was drafted: every letter, PDF and manifest entry
    against the journal, the journal's chain of hashes, and nothing missing, added, moved,
    renamed, altered or unlisted. Each problem is one line: PATH: KIND: what.

    Prints the seal (the journal's last hash): write it down somewhere else (the register
    printout, an email to the advisers), and 'letters verify --seal HASH' later proves the
    archive still extends the one you sealed. Exits 0 when everything matches, 1 otherwise.

    \b
    Example:
      letters verify output
      letters verify output --seal 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
      letters verify --adopt output
    """
    from pipeline.archive.verify import adopt as adopt_archive
    from pipeline.archive.verify import verify as verify_archive

    refused = []
    if adopt:
        done = adopt_archive(out_dir)
        refused = done.refused
        for finding in refused:
            click.echo(str(finding), err=True)
        click.echo(f"Adopted {done.entries} entr{'ies' if done.entries != 1 else 'y'} of "
                   f"{done.cases} case{'s' if done.cases != 1 else ''} into the journal"
                   + (f"; {len(refused)} problem{'s' if len(refused) != 1 else ''} kept the "
                      "cases above out (restore them from backup, then adopt again)"
                      if refused else "") + ".")
    report = verify_archive(out_dir, seal=seal)
    for finding in report.findings:
        click.echo(str(finding), err=True)
    if report.seal_line is not None:
        click.echo(f"The seal {seal} (journal line {report.seal_line}) is still part of the "
                   "archive: nothing recorded up to it has changed.")
    click.echo(f"Seal: {report.seal} (journal line {report.lines})")
    problems = len(report.findings) + len(refused)
    click.echo(f"{report.checked} files checked, {problems} problem"
               f"{'s' if problems != 1 else ''}.")
    if problems:
        sys.exit(EXIT_PROBLEM)


@cli.command("register")
@click.argument("out_dir", required=False, default=workflow.DEFAULT_OUT,
                type=click.Path(path_type=Path))
@click.option("--csv", "csv_path", type=click.Path(path_type=Path),
              help="Also write the register as a spreadsheet (CSV) to this file.")
@click.option("--cases", "case_folders", multiple=True, type=click.Path(path_type=Path),
              default=[Path("data/cases")], show_default=True,
              help="Where to look for a case file that has moved since its letters were drafted "
                   "(found by its case_id); may be given more than once.")
@today_option
def register_command(out_dir: Path, csv_path: Path | None, case_folders: tuple[Path, ...],
                     today: date | None) -> None:
    """List every letter drafted, across every case: when and how it was sent, the date a reply
    is due, and where it stands.

    Each letter's status: draft (not yet recorded as sent: send it, then record it with
    'letters sent'), sent (awaiting a reply), answered (the case records the outcome), or
    overdue (no reply by the date it was due). The history is read from the case file the
    letter was drafted from or, if that has moved, from the file with the same case_id in the
    --cases folders. The CSV holds every column in full.

    \b
    Example:
      letters register
      letters register output --csv register.csv --today 2026-12-08
    """
    from pipeline.record import register, write_register_csv

    rows = register(out_dir, case_folders, today=today)
    if not rows:
        click.echo(f"No letters archived under {out_dir} yet.")
        return

    def day(iso: str) -> str:
        return date.fromisoformat(iso).strftime("%d %b %Y").lstrip("0") if iso else ""

    table = [(r.reference, r.kind, r.recipient, day(r.drafted), day(r.sent), r.method,
              day(r.respond_by), r.status) for r in rows]
    for text in format_table(("Reference", "Letter", "To", "Drafted", "Sent", "By",
                              "Respond by", "Status"), table, wrap=(1, 2, 7)):
        click.echo(text)
    chase = sum(1 for r in rows if r.chase)
    click.echo(f"{len(rows)} letter{'s' if len(rows) != 1 else ''}; {chase} to send or chase "
               "(draft or overdue).")
    if csv_path:
        write_register_csv(rows, csv_path)
        click.echo(f"Wrote {relative(csv_path)}")


@cli.command()
@click.argument("case", type=click.Path(path_type=Path))
@click.option("--out", "target", type=click.Path(path_type=Path),
              help="The zip to write (default: OUT/<case_id>-bundle.zip).")
@click.option("--archive", "out_dir", type=click.Path(path_type=Path),
              default=workflow.DEFAULT_OUT, show_default=True,
              help="The folder the case's letters were drafted into.")
@click.option("--date", "bundle_date", callback=_iso_date, metavar="YYYY-MM-DD",
              help="Date the chronology and index (default: today).")
@school_option
def bundle(case: Path, target: Path | None, out_dir: Path, bundle_date, school_path: Path
           ) -> None:
    """Make the zip for the school's legal advisers.

    It holds the case's letters (.docx, their PDF copies and the signed copies sent), a
    chronology, the evidence log and screenshots, a clean record of the case, the manifest, and
    an index page listing each file's SHA-256; every document is marked not for onward
    disclosure. --date dates the documents and is the day the case is checked as on.

    \b
    Example:
      letters bundle data/cases/BPS-2026-014.yaml
      letters bundle data/cases/BPS-2026-014.yaml --out advisers.zip
    """
    from pipeline.record import write_bundle

    on = bundle_date or real_today()
    school = load_school(school_path)
    loaded, _ = workflow.check_case(case, school, today=on)
    target = target or out_dir / f"{loaded.case.case_id}-bundle.zip"
    written = write_bundle(loaded, school, out_dir, target, on)
    click.echo(f"Wrote {relative(written)}")


@cli.group()
def templates() -> None:
    """Check edited letter templates, and list the fields they can use."""


@templates.command("check")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@school_option
def templates_check(paths: tuple[Path, ...], school_path: Path) -> None:
    """Lint the letter templates (default: the ones letters are drafted with), or those given.

    Reports template syntax errors with the paragraph around them, every field a template uses
    that its letter does not provide (with the closest valid one), and anything the sandbox
    refuses; then renders each template once with example data. Exits 0 clean, 1 with problems.

    \b
    Example:
      letters templates check
      letters templates check my-edited-templates/
    """
    from pipeline.template_check import check_templates

    try:
        school = load_school(school_path)
    except InvalidInput as exc:  # exit 1, as the contract gives this command no 2
        raise PipelineError(f"the school profile is needed to check templates:\n{exc}") from None
    default = templates_dir()
    findings = check_templates(list(paths), default, school)
    for finding in findings:
        click.echo(str(finding), err=True)
    where = ", ".join(str(p) for p in paths) or relative(default)
    if findings:
        click.echo(f"{len(findings)} problem{'s' if len(findings) != 1 else ''} in {where}.")
        sys.exit(EXIT_PROBLEM)
    click.echo(f"Templates in {where}: ok.")


@templates.command("fields")
@click.argument("kind", required=False, type=click.Choice(kinds.NAMES))
@school_option
def templates_fields(kind: str | None, school_path: Path) -> None:
    """List every field a letter template can use, with an example value.

    Generated from the code that builds each letter's context, so it is always current.
    In a template, write a field as {{ school.name }}; a list such as posts is used in a loop:
    {%p for post in posts %} ... {{ post.text }} ... {%p endfor %}.

    \b
    Example:
      letters templates fields
      letters templates fields warning
    """
    from pipeline.template_check import fields_for

    school = load_school(school_path)
    for each in [kind] if kind else kinds.NAMES:
        click.echo(f"{each} letter:")
        for path, example in fields_for(each, school).items():
            if isinstance(example, dict):
                continue
            if isinstance(example, list):
                shown = "(a list: use it in a for loop)"
            elif isinstance(example, str):
                shown = json.dumps(example[:70] + ("..." if len(example) > 70 else ""),
                                   ensure_ascii=False)
            else:
                shown = repr(example)
            click.echo(f"  {path:<38} {shown}")
        click.echo("")


@cli.command()
def schema() -> None:
    """Print the case file's JSON Schema (for editors that check YAML as you type).

    \b
    Example:
      letters schema > pipeline/case/case.schema.json
    """
    from pipeline.case.load import case_schema

    click.echo(json.dumps(case_schema(), indent=2, ensure_ascii=False))


@cli.command("new-case")
@click.argument("case_id")
@click.option("--out", "target", type=click.Path(path_type=Path),
              help="Where to write it (default: data/cases/CASE_ID.yaml).")
def new_case(case_id: str, target: Path | None) -> None:
    """Write a commented skeleton case file to fill in.

    `letters check` reports it as not finished until every FILL IN is replaced.

    \b
    Example:
      letters new-case BPS-2026-030
    """
    from pipeline.archive.store import write_new
    from pipeline.case.model import SAFE_ID
    from pipeline.shipped import schema_file
    from pipeline.skeleton import skeleton

    if not SAFE_ID.fullmatch(case_id):
        raise click.BadParameter("use only letters, digits, '-' and '_' (e.g. BPS-2026-030)",
                                 param_hint="CASE_ID")
    target = target or Path("data/cases") / f"{case_id}.yaml"
    if target.exists():
        raise click.ClickException(f"{target} already exists; choose another case id or file")
    target.parent.mkdir(parents=True, exist_ok=True)
    schema_ref = os.path.relpath(schema_file(), target.parent.resolve())
    write_new(target, skeleton(case_id, date.today(), str(target), schema=schema_ref)
              .encode("utf-8"))
    click.echo(f"Wrote {relative(target)}: fill in every FILL IN, then run 'make check'.")


class Terminated(KeyboardInterrupt):
    """SIGTERM (a service manager or `kill` stopping the run), unwound like Ctrl-C."""


def _stop_on_sigterm(signum, frame) -> None:
    # Unwind like Ctrl-C, so every `finally` removes its temporary files before exiting.
    raise Terminated


# Python's cycle collector, at its default thresholds, went over every object again and again
# while a large case was read: a 20,000-post case makes a million small objects (YAML nodes,
# models, letter fields) that are never cycles, and 3.3 s of the 4 s it took to read it went to
# full collections. Fewer, later collections: the same memory, a fraction of the time.
GC_THRESHOLDS = (50_000, 50, 1_000)


def main() -> None:
    gc.set_threshold(*GC_THRESHOLDS)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    cli(prog_name="letters")
