"""The whole path for one case or a batch: load → plan → render → archive.

This is what cli.py, the make targets, the tests and the benchmark call. It never prints: it
returns outcomes and reports progress through a callback, so the CLI decides how to show them.
A batch can share its cases among worker processes (`jobs`); this is the one place for that.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import signal
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path

from pipeline import __version__
from pipeline.archive.commit import Archive, signals_held
from pipeline.archive.manifest import (
    TIMESTAMP,
    ExcludedEntry,
    LetterEntry,
    Manifest,
    PdfEntry,
    parse_entry,
)
from pipeline.archive.store import (
    case_folder,
    letter_filename,
    locked,
    remove_stale_temps,
    sha256_bytes,
    sha256_file,
)
from pipeline.case.load import LoadedCase, case_files_in, load_school, validate_case
from pipeline.case.model import School
from pipeline.case.pupils import case_names
from pipeline.case.yaml import line_number, load_yaml, read_text
from pipeline.dates import real_today
from pipeline.dispatch import Dispatch, dispatch_for
from pipeline.docx.package import DocumentProperties
from pipeline.docx.template import CompiledTemplate, make_environment
from pipeline.errors import InvalidInput, PipelineError, Problem, TemplateProblem, shown
from pipeline.kinds import Recipient
from pipeline.letter.context import LetterMeta, build_context
from pipeline.letter.parts import ArchivedLetter, Sibling
from pipeline.letter.redact import full_names_in_letter
from pipeline.pdf import convert as convert_to_pdf
from pipeline.pdf import staging_dir
from pipeline.policy import Plan, PlannedLetter, decide, rules_digest, sent_step
from pipeline.shipped import templates_dir

DEFAULT_SCHOOL = Path("data/school.yaml")
DEFAULT_OUT = Path("output")


@dataclass(frozen=True)
class Settings:
    """Where things are, and the choices of one run."""

    school_path: Path = DEFAULT_SCHOOL
    templates_dir: Path | None = None  # None: ./letter_templates/, else the shipped templates
    out_dir: Path = DEFAULT_OUT
    letter_date: date | None = None  # --date: otherwise the day a letter is first drafted
    today: date | None = None  # tests pin the clock here
    pdf: bool = False  # also make a PDF/A copy of each letter (one LibreOffice run for all)
    # Flush each file to disk as it is written. A batch turns this off and syncs once at its
    # end, before it reports success: fsync per file was 40% of a batch's time.
    sync_each_file: bool = True


class Templates:
    """Each template loaded and compiled once per process, then reused for every letter."""

    def __init__(self, folder: Path | None):
        self.folder = templates_dir(folder)
        self.env = make_environment()
        self._cache: dict[str, CompiledTemplate] = {}

    def get(self, letter: PlannedLetter) -> CompiledTemplate:
        name = letter.spec.template
        if name not in self._cache:
            self._cache[name] = CompiledTemplate.load(self.folder / name, self.env)
        return self._cache[name]


@dataclass
class LetterOutcome:
    reference: str
    kind: str
    path: Path
    status: str  # "written", "new version", "unchanged"
    dispatch: Dispatch | None = None  # how it can be sent besides the post (email, web form)
    letter_date: date | None = None


@dataclass
class CaseOutcome:
    source: Path
    case_id: str = ""
    letters: list[LetterOutcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # What the archive had to mend for this case (entries restored from the journal, a file a
    # killed run left): said to the user, never done silently.
    archive_notes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)  # reported; the case is drafted
    error: str = ""
    made: list[Path] = field(default_factory=list)  # PDF copies and ready-to-send files

    @property
    def ok(self) -> bool:
        return not self.problems and not self.error


# --- check and plan ---------------------------------------------------------------------------


def check_case(path: Path | str, school: School | None = None, *, today: date | None = None,
               letter_date: date | None = None) -> tuple[LoadedCase, Plan]:
    """Validate a case and the plan's own demands on it (an address for posted letters), as on
    `today` (default: the real date)."""
    today = today or real_today()
    loaded = validate_case(path, today=today, school=school)
    plan = decide(loaded.case, school, today=today, letter_date=letter_date)
    posted = [l.spec for l in plan.letters if l.spec.to is Recipient.POSTER]
    if posted and not loaded.case.poster.address:
        line = loaded.located.line_of(("poster",))
        raise InvalidInput([Problem(str(path), line, "poster.address",
                                    f"is required: a {posted[0].title} goes to the poster "
                                    "by post; add address: [street, town, postcode]"),
                            *loaded.warnings])
    return loaded, plan


def review_warning(school: School, today: date | None = None) -> str | None:
    """A warning when the policy every letter quotes is past its review date, else None."""
    today = today or real_today()
    policy = school.policy
    if today <= policy.next_review_date:
        return None
    return (f"Warning: the school's {policy.title} was due for review in {policy.next_review} "
            f"(by {policy.next_review_date.isoformat()}), and every letter quotes it. Check the "
            "policy is still current, then update policy.next_review_date in the school profile.")


# --- draft one case ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Inputs:
    """The hashes of what a case's letters are made from, recorded with each letter."""

    case: str
    school: str
    rules: str


@dataclass
class _NewLetter:
    target: Path
    data: bytes
    entry: LetterEntry


class _CaseDraft:
    """One case being drafted: its letters rendered, compared with the archive, then committed.

    All letters are rendered before anything is written, so a template error on the third
    letter leaves the archive as it was.
    """

    def __init__(self, loaded: LoadedCase, plan: Plan, *, settings: Settings, school: School,
                 templates: Templates, school_sha: str, archive: Archive):
        self.loaded, self.plan, self.settings = loaded, plan, settings
        self.school, self.templates, self.archive = school, templates, archive
        self.case = loaded.case
        self.today = settings.today or real_today()
        self.folder = case_folder(settings.out_dir, self.case.case_id)
        self.inputs = _Inputs(sha256_bytes(loaded.text.encode("utf-8")), school_sha,
                              rules_digest())

    def run(self, outcome: CaseOutcome) -> None:
        with locked(self.folder):
            remove_stale_temps(self.folder)
            state = self.archive.reconcile(self.folder, self.case.case_id)
            outcome.archive_notes += state.notes
            manifest = state.manifest
            numbered = self._numbered(manifest)
            self.siblings = tuple(Sibling(letter, self._reference(number))
                                  for letter, number, _ in numbered)
            self.earlier = self._archived(manifest)
            new: list[_NewLetter] = []
            for letter, number, latest in numbered:
                outcome.letters.append(self._letter(letter, number, latest, new))
            outcome.archive_notes += self._commit(manifest, new, self._exclusions(manifest))

    def _reference(self, number: int) -> str:
        return f"{self.case.case_id}/{number:02d}"

    def _numbered(self, manifest: Manifest) -> list[tuple[PlannedLetter, int, LetterEntry | None]]:
        """Each planned letter with its number, and the archived letter it may be a new version
        of. A letter keeps the number it was first given until history records it as sent; after
        that, a new letter of the same kind (a further referral, say) gets the next number."""
        numbered = []
        next_free = max(manifest.next_number(), self._after_recorded_references())
        for letter in self.plan.letters:
            latest = manifest.latest(letter.key)
            if latest and self._sent(latest):
                latest = None
            if latest:
                number = latest.number
            else:
                number, next_free = next_free, next_free + 1
            numbered.append((letter, number, latest))
        return numbered

    def _archived(self, manifest: Manifest) -> tuple[ArchivedLetter, ...]:
        """The letters drafted before this run (their newest versions), each with the history
        entry that records it as sent, if any."""
        newest: dict[str, LetterEntry] = {}
        for entry in manifest.letters():
            newest[entry.reference] = entry
        return tuple(ArchivedLetter(
            reference=e.reference, kind=e.kind, letter_date=date.fromisoformat(e.letter_date),
            posts=tuple(e.posts), recipient=e.recipient,
            sent=sent_step(self.case.history, reference=e.reference, kind=e.kind,
                           letter_date=date.fromisoformat(e.letter_date), posts=e.posts))
            for e in newest.values())

    def _after_recorded_references(self) -> int:
        """A number above every reference the case's history records for this case, so a new
        letter never takes a reference already used (by an archive kept elsewhere, say)."""
        prefix = f"{self.case.case_id}/"
        used = [int(h.reference[len(prefix):]) for h in self.case.history
                if h.reference and h.reference.startswith(prefix)
                and h.reference[len(prefix):].isdigit()]
        return max(used, default=0) + 1

    def _sent(self, entry: LetterEntry) -> bool:
        return sent_step(self.case.history, reference=entry.reference, kind=entry.kind,
                         letter_date=date.fromisoformat(entry.letter_date),
                         posts=entry.posts) is not None

    def _render(self, template: CompiledTemplate, letter: PlannedLetter, reference: str,
                on: date) -> bytes:
        meta = LetterMeta(reference=reference, letter_date=on)
        context = build_context(letter, self.case, self.school, meta, self.loaded.path.parent,
                                plan=self.plan, archive=self.earlier, today=self.today,
                                siblings=tuple(s for s in self.siblings if s.letter != letter))
        props = DocumentProperties(
            title=context["letter"]["subject"],
            subject=f"{letter.spec.title}, case {self.case.case_id}",
            author=self.school.name, keywords=reference, letter_date=on)
        data = template.render(context, props, kind=letter.kind)
        if letter.spec.third_party:
            self._refuse_pupil_names(data, template, letter)
        self.dispatch = dispatch_for(letter, context, self.case, self.school)
        if letter.spec.third_party and self.dispatch and self.dispatch.fields:
            # The same guard as the letter's: a full name in any form, web addresses aside (they
            # are printed unaltered so the platform can find the post).
            names = case_names(self.case, self.school)
            urls = {self.case.post(pid).url or "" for pid in letter.posts}
            if any(hit.form == "full" for f in self.dispatch.fields
                   for hit in names.matcher.full_names(_without(f.value, urls))):
                raise TemplateProblem(
                    f"the web form text for the {letter.spec.title} would show a pupil's name; "
                    "it was not written (pupils appear by initials only to third parties)")
        return data

    def _refuse_pupil_names(self, data: bytes, template: CompiledTemplate,
                            letter: PlannedLetter) -> None:
        """The last guard before a letter leaves the school: no pupil's full name, in any form
        the matcher knows, in any text of the package (URLs, printed unaltered, aside)."""
        names = case_names(self.case, self.school)
        urls = [self.case.post(pid).url or "" for pid in letter.posts]
        leaks = full_names_in_letter(data, names, urls=urls)
        if leaks:
            raise TemplateProblem(
                f"{template.name}: the {letter.spec.title} was not written: it would show "
                f"{'; '.join(str(leak) for leak in leaks[:5])}. Pupils appear by initials only "
                "in letters to third parties; check the template and the case for a field "
                "that prints a name unredacted.")

    def _letter(self, letter: PlannedLetter, number: int, latest: LetterEntry | None,
                new: list[_NewLetter]) -> LetterOutcome:
        template = self.templates.get(letter)
        reference = self._reference(number)
        # A letter keeps the date it was drafted on, so re-running later is "unchanged".
        pinned = date.fromisoformat(latest.letter_date) if latest else self.today
        day = self.settings.letter_date or pinned
        data = self._render(template, letter, reference, day)
        if latest and latest.sha256.docx == sha256_bytes(data):
            return LetterOutcome(reference, letter.kind, self.folder / latest.docx, "unchanged",
                                 self.dispatch, day)
        if latest and self.settings.letter_date is None and day != self.today:
            # The inputs changed: this is a new draft, dated the day it is drafted.
            day = self.today
            data = self._render(template, letter, reference, day)
        version = (latest.version + 1) if latest else 1
        target = self.folder / letter_filename(self.case.case_id, number, letter.key, version)
        while self._taken(target, data):
            # A file a killed run left without a journal line (kept: the archive never deletes
            # what it did not make), or one the archive holds: use the next name.
            version += 1
            target = self.folder / letter_filename(self.case.case_id, number, letter.key, version)
        new.append(_NewLetter(target, data, self._entry(letter, template, reference, number,
                                                        version, day, target, data)))
        return LetterOutcome(reference, letter.kind, target,
                             "new version" if version > 1 else "written", self.dispatch, day)

    def _entry(self, letter: PlannedLetter, template: CompiledTemplate, reference: str,
               number: int, version: int, day: date, target: Path, data: bytes) -> LetterEntry:
        return LetterEntry(
            reference=reference, number=number, version=version, key=letter.key,
            kind=letter.kind, recipient=letter.to, platform=letter.platform,
            posts=list(letter.posts), letter_date=day.isoformat(), files={"docx": target.name},
            sha256={"docx": sha256_bytes(data), "case": self.inputs.case,
                    "template": template.sha256, "school": self.inputs.school,
                    "rules": self.inputs.rules},
            case_file=str(self.loaded.path.resolve()), template=template.name,
            reasons=list(letter.reasons), clauses=list(letter.clauses),
            overrides=list(letter.overrides), urgent=letter.urgent,
            respond_by=_iso(letter.spec.respond_by_date(day, urgent=letter.urgent)),
            pipeline_version=__version__)

    def _exclusions(self, manifest: Manifest) -> list[ExcludedEntry]:
        """The school's decisions not to send a letter, for the archive, each recorded once."""
        known = {(e.kind, e.platform, e.reason) for e in manifest.exclusions()}
        return [ExcludedEntry(event="excluded", kind=e.kind, platform=e.platform, reason=e.reason,
                              sha256={"case": self.inputs.case, "rules": self.inputs.rules},
                              pipeline_version=__version__)
                for e in self.plan.excluded if (e.kind, e.platform, e.reason) not in known]

    def _taken(self, target: Path, data: bytes) -> bool:
        """Whether `target` cannot be this letter's file: the archive holds it, or another
        file is there (one with these very bytes, left by a killed run, is taken in)."""
        if f"{self.case.case_id}/{target.name}" in self.archive.journal.by_file:
            return True
        if target.is_symlink():
            return True
        return target.exists() and sha256_file(target) != sha256_bytes(data)

    def _commit(self, manifest: Manifest, new: list[_NewLetter],
                excluded: list[ExcludedEntry]) -> list[str]:
        """Archive the new letters and exclusions: files, journal lines, manifest, all or
        nothing (archive/commit.py). Returns notes for the user."""
        stamp = datetime.now(UTC).strftime(TIMESTAMP)
        entries = [e.model_copy(update={"written_at": stamp})
                   for e in [*(n.entry for n in new), *excluded]]
        return self.archive.commit(self.folder, manifest, [(n.target, n.data) for n in new],
                                   entries, sync=self.settings.sync_each_file)


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def draft_case(path: Path | str, *, settings: Settings, school: School, templates: Templates,
               school_sha: str, archive: Archive | None = None) -> CaseOutcome:
    """Render every planned letter of one case and archive the new ones."""
    outcome = CaseOutcome(source=Path(path))
    today = settings.letter_date or settings.today or real_today()
    loaded, plan = check_case(path, school, today=today, letter_date=settings.letter_date)
    outcome.case_id = loaded.case.case_id
    outcome.notes = list(plan.notes)
    outcome.warnings = list(loaded.warnings)
    _CaseDraft(loaded, plan, settings=settings, school=school, templates=templates,
               school_sha=school_sha, archive=archive or Archive.open(settings.out_dir)
               ).run(outcome)
    return outcome


# --- a batch ----------------------------------------------------------------------------------


def default_jobs() -> int:
    """Worker processes for a batch: one per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


class _Drafter:
    """What one process needs to draft cases: the school, the compiled templates and the
    archive (its journal read once), then read again only as it grows."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.school = load_school(settings.school_path)
        self.school_sha = sha256_file(settings.school_path)
        self.templates = Templates(settings.templates_dir)
        self.archive: Archive | None = None  # opened by draft_many, once OUT is known good

    def __call__(self, path: Path) -> CaseOutcome:
        try:
            return draft_case(path, settings=self.settings, school=self.school,
                              templates=self.templates, school_sha=self.school_sha,
                              archive=self.archive)
        except InvalidInput as exc:
            return CaseOutcome(source=Path(path), problems=exc.problems)
        except PipelineError as exc:
            return CaseOutcome(source=Path(path), error=str(exc))
        except Exception as exc:  # noqa: BLE001 - one case must never stop the batch
            # A fault no check foresaw (a file that changed under us, a library's own error, a
            # bug): this case is not drafted and says why; the rest of the batch goes on. Its
            # commit, if it had begun, was taken back (archive/commit.py). Ctrl-C and SIGTERM
            # are not Exceptions: they still stop the batch.
            return CaseOutcome(source=Path(path), error=f"unexpected {type(exc).__name__}: "
                               f"{exc}; nothing was archived for this case. Please report it.")


_worker: _Drafter | None = None


def _start_worker(settings: Settings) -> None:
    # The parent alone decides when a batch stops: a worker finishes the piece it holds, so
    # Ctrl-C or SIGTERM to the whole process group never leaves a half-drafted case or shows a
    # worker's traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    global _worker
    if _worker is None or _worker.settings != settings:
        _worker = _Drafter(settings)


def _draft_in_worker(paths: list[Path]) -> list[CaseOutcome]:
    assert _worker is not None
    return [_worker(path) for path in paths]


MAX_PIECE = 16


def _chunks(paths: list[Path], jobs: int) -> Iterator[list[Path]]:
    """The batch in shrinking pieces: few hand-offs while there is much to do, and at the end
    pieces of one case, so no worker is left with a long piece while the others stand idle.
    No piece is over MAX_PIECE cases: a stopped batch finishes only the pieces already begun."""
    start = 0
    while start < len(paths):
        size = max(1, min(MAX_PIECE, (len(paths) - start) // (jobs * 4)))
        yield paths[start:start + size]
        start += size


def draft_many(paths: Iterable[Path | str], settings: Settings, *,
               progress: Callable[[CaseOutcome], None] | None = None,
               jobs: int = 1) -> list[CaseOutcome]:
    """Draft every case; an invalid case is reported and skipped, the rest go ahead.

    With jobs > 1 the cases are shared among that many worker processes, each compiling the
    templates once; outcomes come back in the order of `paths`, as from a serial run. Each
    case's folder is locked while it is drafted, so the manifests are the same either way.
    """
    paths = [Path(p) for p in paths]
    batch = len(paths) > 1 and settings.sync_each_file
    if batch:
        settings = replace(settings, sync_each_file=False)
    drafter = _Drafter(settings)  # a bad school profile or template folder fails here, once
    # The output folder is checked once, before any case: a file, a read-only folder, a link
    # where .locks should be, a damaged journal, an archive not yet adopted.
    drafter.archive = Archive.open(settings.out_dir)
    twins = duplicate_case_ids(paths)
    todo = [p for p in paths if p not in twins]
    by_path: dict[int, CaseOutcome] = {}
    for i, path in enumerate(paths):
        if path in twins:
            by_path[i] = CaseOutcome(source=path, problems=twins[path])
            if progress:
                progress(by_path[i])
    if jobs > 1 and len(todo) > 1:
        # Forked workers inherit the school profile and the journal read here; each compiles
        # only the templates its cases need, in parallel with the others.
        global _worker
        _worker = drafter
        results = _in_parallel(todo, settings, min(jobs, len(todo)))
    else:
        results = map(drafter, todo)
    places = iter(i for i, p in enumerate(paths) if p not in twins)
    try:
        for outcome in results:
            by_path[next(places)] = outcome
            if progress:
                progress(outcome)
    finally:
        if batch:
            os.sync()  # everything written is on disk before the batch says it is done
    outcomes = [by_path[i] for i in sorted(by_path)]
    if settings.pdf:
        by_case = {o.case_id: o for o in outcomes if o.case_id}
        for path in add_pdf_copies(outcomes, settings, drafter.archive):
            if path.parent.name in by_case:
                by_case[path.parent.name].made.append(path)
    return outcomes


_CASE_ID_LINE = re.compile(r"""^case_id:[ \t]*(["']?)([^"'\s#]+)\1[ \t]*(?:#.*)?$""",
                           re.MULTILINE)


def duplicate_case_ids(paths: Iterable[Path]) -> dict[Path, list[Problem]]:
    """Case files among `paths` that share a case id (compared without regard to capitals, as
    a case-insensitive disk compares folder names), each with a problem naming the others.

    Two files with one id would draft into one case folder, each run making a new version from
    the other's content. The same file named twice is not a duplicate. The id is read from the
    `case_id:` line; a file written otherwise is read as YAML, and one that cannot be read is
    left for its own validation to report.
    """
    paths = list(paths)
    if len(paths) < 2:
        return {}
    found: dict[str, list[tuple[Path, int | None, str]]] = {}
    seen: set[Path] = set()
    for path in paths:
        try:
            real = path.resolve()
        except (OSError, RuntimeError):
            continue
        if real in seen:
            continue
        seen.add(real)
        case_id, line = _case_id_of(path)
        if case_id:
            found.setdefault(case_id.casefold(), []).append((path, line, case_id))
    twins: dict[Path, list[Problem]] = {}
    for group in found.values():
        if len(group) < 2:
            continue
        for path, line, case_id in group:
            others = ", ".join(relative(p) for p, _, _ in group if p != path)
            twins[path] = [Problem(str(path), line, "case_id", (
                f"'{case_id}' is also the case_id of {others}; each case file needs its own "
                "case id (two files with one id would draft over each other's letters)"))]
    return twins


def _case_id_of(path: Path) -> tuple[str | None, int | None]:
    try:
        text = read_text(path)
    except (InvalidInput, OSError):
        return None, None
    match = _CASE_ID_LINE.search(text)
    if match:
        return match.group(2), line_number(text, match.start())
    try:
        located = load_yaml(path, text)
    except InvalidInput:
        return None, None
    data = located.data
    if isinstance(data, dict) and isinstance(data.get("case_id"), str):
        return data["case_id"], located.line_of(("case_id",))
    return None, None


def _in_parallel(paths: list[Path], settings: Settings, jobs: int) -> Iterator[CaseOutcome]:
    # fork: workers start in milliseconds and inherit the imported modules.
    context = multiprocessing.get_context("fork")
    try:
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context,
                                 initializer=_start_worker, initargs=(settings,)) as pool:
            pieces = [pool.submit(_draft_in_worker, piece) for piece in _chunks(paths, jobs)]
            try:
                for piece in pieces:
                    yield from piece.result()
            finally:
                for piece in pieces:  # stopped early (Ctrl-C, an error): start nothing more
                    piece.cancel()
    except BrokenProcessPool:
        raise PipelineError("a worker process stopped unexpectedly (out of memory?); run "
                            "again with --jobs 1") from None


# --- PDF copies -------------------------------------------------------------------------------


def add_pdf_copies(outcomes: list[CaseOutcome], settings: Settings,
                   archive: Archive | None = None) -> list[Path]:
    """PDF copies of every drafted letter that lacks one, archived as they are made.

    The letters go to LibreOffice in chunks (pipeline/pdf.py); as each chunk's PDFs come back,
    checked, they are committed case by case like the letters themselves (archive/commit.py):
    each PDF linked in beside its letter, read-only, with a journal line and a `pdf` manifest
    entry holding its SHA-256, or not at all. So an error or a stop later in the batch loses only
    the chunk under way, and a PDF is never in a case folder without its entries. A PDF is never
    made again under a name the manifest records, even if its file is gone (`letters verify`
    reports it missing); a PDF file that the archive does not hold (left by a run killed while
    committing it) is replaced, and a note says so. The staging folder is removed however the
    run ends, and ones left by killed runs are removed on the next.
    """
    archive = archive or Archive.open(settings.out_dir)
    school = load_school(settings.school_path)
    wanted: list[LetterOutcome] = []
    for outcome in outcomes:
        if not outcome.ok or not outcome.letters:
            continue
        folder = outcome.letters[0].path.parent
        manifest = Manifest.read(folder, folder.name)
        wanted += [l for l in outcome.letters if manifest.pdf_of(l.path.name) is None]
    if not wanted:
        return []
    by_docx = {l.path: l for l in wanted}
    made: list[Path] = []
    notes: list[str] = []

    def keep(chunk: list[tuple[Path, Path]]) -> None:
        by_case: dict[Path, list[tuple[LetterOutcome, Path]]] = {}
        for docx, pdf in chunk:
            by_case.setdefault(docx.parent, []).append((by_docx[docx], pdf))
        for folder, items in by_case.items():
            made.extend(_commit_pdfs(archive, folder, items, settings, notes, school))

    with staging_dir(settings.out_dir) as staging:
        try:
            convert_to_pdf([l.path for l in wanted], staging, on_chunk=keep)
        except PipelineError as exc:
            if not made:
                raise
            raise type(exc)(f"{exc}\nPDF copies of {len(made)} letters were made and archived "
                            "before this; run the command again to make the rest.") from None
    for note in notes:
        for outcome in outcomes:
            if outcome.letters and note.startswith(outcome.case_id + ":"):
                outcome.archive_notes.append(note)
    return made


def _commit_pdfs(archive: Archive, folder: Path, items: list[tuple[LetterOutcome, Path]],
                 settings: Settings, notes: list[str], school: School) -> list[Path]:
    """Archive one case's PDFs from one chunk, each with what makes it ready to send (an email
    draft or a web form's text, see dispatch.py): files, journal lines, manifest, all or
    nothing."""
    case_id = folder.name
    with locked(folder):
        state = archive.reconcile(folder, case_id)
        notes += state.notes
        manifest = state.manifest
        stamp = datetime.now(UTC).strftime(TIMESTAMP)
        files: list[tuple[Path, bytes]] = []
        entries: list[PdfEntry] = []
        for letter, pdf in items:
            docx = manifest.letter_of(letter.path.name)
            if docx is None or manifest.pdf_of(letter.path.name) is not None:
                continue  # another run archived it meanwhile
            target = letter.path.with_suffix(".pdf")
            if target.exists() or target.is_symlink():
                # Not in the manifest, which the journal vouches for: a file a killed run left
                # before its journal line. It was never archived; this PDF takes its place.
                with signals_held():
                    target.unlink()
                notes.append(f"{case_id}: replaced {target.name}, which a stopped run had left "
                             "without archiving it")
            data = pdf.read_bytes()
            files.append((target, data))
            entries.append(parse_entry({
                "event": "pdf", "reference": letter.reference, "version": docx.version,
                "kind": letter.kind, "files": {"pdf": target.name},
                "sha256": {"pdf": sha256_bytes(data), "docx": docx.sha256.docx},
                "from": letter.path.name, "format": "PDF/A-2b",
                "written_at": stamp, "pipeline_version": __version__}))
            ready = _ready_to_send(letter, docx, target.name, data, school, folder, manifest)
            if ready is not None:
                files.append(ready[0])
                entries.append(parse_entry({**ready[1], "written_at": stamp,
                                            "pipeline_version": __version__}))
        notes += archive.commit(folder, manifest, files, entries,
                                sync=settings.sync_each_file)
    return [target for target, _ in files]  # the PDFs and what makes each ready to send


def _without(text: str, urls: set[str]) -> str:
    for url in urls:
        if url:
            text = text.replace(url, " ")
    return text


def _ready_to_send(letter: LetterOutcome, docx: LetterEntry, pdf_name: str, pdf: bytes,
                   school: School, folder: Path, manifest: Manifest
                   ) -> tuple[tuple[Path, bytes], dict] | None:
    """The email draft or web-form text for a letter whose PDF is being archived, or None."""
    dispatch = letter.dispatch
    if dispatch is None or dispatch.how is None or manifest.outbox_of(letter.reference,
                                                                     docx.version):
        return None
    name = dispatch.outbox_name(letter.path.name)
    data = dispatch.outbox_bytes(school=school, pdf_name=pdf_name, pdf=pdf,
                                 on=letter.letter_date or date.fromisoformat(docx.letter_date))
    if (folder / name).exists():
        return None  # never replaced: the archive keeps what it made
    return (folder / name, data), {
        "event": "outbox", "reference": letter.reference, "version": docx.version,
        "kind": letter.kind, "files": {"outbox": name},
        "sha256": {"outbox": sha256_bytes(data), "pdf": sha256_bytes(pdf)},
        "how": dispatch.how, "to": dispatch.email or dispatch.form_url or dispatch.to_name}


# --- paths ------------------------------------------------------------------------------------


def case_files(paths: Iterable[Path | str]) -> list[Path]:
    """Case files named on the command line; a folder stands for the .yaml (or .yml) files in it.

    A folder with none is passed on as it is, so reading it says plainly that it is a folder.
    """
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        inside = case_files_in(path) if path.is_dir() else []
        found += inside or [path]
    return found


def relative(path: Path) -> str:
    """A path as short as it can be shown: relative to here when inside, else as given; any
    control character in it escaped (errors.shown)."""
    try:
        short = os.path.relpath(path)
    except ValueError:
        return shown(str(path))
    return shown(str(path) if short.startswith("..") else short)
