"""The whole path for one case or a batch: load → plan → render → archive.

This is what cli.py, the make targets, the tests and the benchmark call. It never prints: it
returns outcomes and reports progress through a callback, so the CLI decides how to show them.
A batch can share its cases among worker processes (`jobs`); this is the one place for that.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path

from pipeline import __version__
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
    write_new,
)
from pipeline.case.load import LoadedCase, load_school, validate_case
from pipeline.case.model import School
from pipeline.case.pupils import case_names
from pipeline.dates import real_today
from pipeline.docx.package import DocumentProperties
from pipeline.docx.template import CompiledTemplate, make_environment
from pipeline.errors import ArchiveError, InvalidInput, PipelineError, Problem, TemplateProblem
from pipeline.kinds import Recipient
from pipeline.letter.context import LetterMeta, build_context
from pipeline.letter.parts import ArchivedLetter, Sibling
from pipeline.letter.redact import full_names_in_letter
from pipeline.pdf import convert as convert_to_pdf
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


@dataclass
class CaseOutcome:
    source: Path
    case_id: str = ""
    letters: list[LetterOutcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)  # reported; the case is drafted
    error: str = ""

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
                 templates: Templates, school_sha: str):
        self.loaded, self.plan, self.settings = loaded, plan, settings
        self.school, self.templates = school, templates
        self.case = loaded.case
        self.today = settings.today or real_today()
        self.folder = case_folder(settings.out_dir, self.case.case_id)
        self.inputs = _Inputs(sha256_bytes(loaded.text.encode("utf-8")), school_sha,
                              rules_digest())

    def run(self, outcome: CaseOutcome) -> None:
        with locked(self.folder):
            remove_stale_temps(self.folder)
            manifest = Manifest.read(self.folder, self.case.case_id)
            numbered = self._numbered(manifest)
            self.siblings = tuple(Sibling(letter, self._reference(number))
                                  for letter, number, _ in numbered)
            self.archive = self._archived(manifest)
            new: list[_NewLetter] = []
            for letter, number, latest in numbered:
                outcome.letters.append(self._letter(letter, number, latest, new))
            self._commit(manifest, new, self._exclusions(manifest))

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
                                plan=self.plan, archive=self.archive, today=self.today,
                                siblings=tuple(s for s in self.siblings if s.letter != letter))
        props = DocumentProperties(
            title=context["letter"]["subject"],
            subject=f"{letter.spec.title}, case {self.case.case_id}",
            author=self.school.name, keywords=reference, letter_date=on)
        data = template.render(context, props, kind=letter.kind)
        if letter.spec.third_party:
            self._refuse_pupil_names(data, template, letter)
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
            return LetterOutcome(reference, letter.kind, self.folder / latest.docx, "unchanged")
        if latest and self.settings.letter_date is None and day != self.today:
            # The inputs changed: this is a new draft, dated the day it is drafted.
            day = self.today
            data = self._render(template, letter, reference, day)
        version = (latest.version + 1) if latest else 1
        target = self.folder / letter_filename(self.case.case_id, number, letter.key, version)
        while target.exists() and sha256_file(target) != sha256_bytes(data):
            # A file a killed run left without a manifest entry: keep it, use the next name.
            version += 1
            target = self.folder / letter_filename(self.case.case_id, number, letter.key, version)
        new.append(_NewLetter(target, data, self._entry(letter, template, reference, number,
                                                        version, day, target, data)))
        return LetterOutcome(reference, letter.kind, target,
                             "new version" if version > 1 else "written")

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

    def _commit(self, manifest: Manifest, new: list[_NewLetter],
                excluded: list[ExcludedEntry]) -> None:
        if not new and not excluded:
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ArchiveError(f"cannot make the folder {self.folder}: {exc.strerror or exc}"
                               ) from None
        stamp = datetime.now(UTC).strftime(TIMESTAMP)
        sync = self.settings.sync_each_file
        created: list[Path] = []
        with signals_held(), _rolled_back_on_failure(created, manifest.path):
            for letter in new:
                if not letter.target.exists():
                    # Listed before the link, so an interruption just after it is undone too.
                    created.append(letter.target)
                    try:
                        write_new(letter.target, letter.data, sync=sync)
                    except ArchiveError:
                        created.remove(letter.target)  # not linked: never ours to take back
                        raise
            manifest.save([e.model_copy(update={"written_at": stamp})
                           for e in [*(n.entry for n in new), *excluded]], sync=sync)


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def draft_case(path: Path | str, *, settings: Settings, school: School, templates: Templates,
               school_sha: str) -> CaseOutcome:
    """Render every planned letter of one case and archive the new ones."""
    outcome = CaseOutcome(source=Path(path))
    today = settings.letter_date or settings.today or real_today()
    loaded, plan = check_case(path, school, today=today, letter_date=settings.letter_date)
    outcome.case_id = loaded.case.case_id
    outcome.notes = list(plan.notes)
    outcome.warnings = list(loaded.warnings)
    _CaseDraft(loaded, plan, settings=settings, school=school, templates=templates,
               school_sha=school_sha).run(outcome)
    return outcome


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM while files and their manifest entries are committed (a few ms).

    A signal arriving then is delivered once the commit is whole, so an interrupted run never
    leaves a letter without its manifest entry, nor an entry without its letter.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


@contextlib.contextmanager
def _rolled_back_on_failure(created: list[Path], manifest_path: Path) -> Iterator[None]:
    """Letters not in the manifest were never part of the archive: if the commit fails (a full
    disk, an interruption), take them back, so the case is left as the run found it. A letter
    the manifest on disk already lists stays: the commit got that far."""
    try:
        yield
    except BaseException:
        try:
            listed = manifest_path.read_text(encoding="utf-8") if manifest_path.exists() else ""
        except OSError:
            listed = ""
        for target in created:
            if f'"{target.name}"' not in listed:
                with contextlib.suppress(OSError):
                    target.unlink()
        raise


# --- a batch ----------------------------------------------------------------------------------


def default_jobs() -> int:
    """Worker processes for a batch: one per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


class _Drafter:
    """What one process needs to draft cases: the school and the compiled templates, once."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.school = load_school(settings.school_path)
        self.school_sha = sha256_file(settings.school_path)
        self.templates = Templates(settings.templates_dir)

    def __call__(self, path: Path) -> CaseOutcome:
        try:
            return draft_case(path, settings=self.settings, school=self.school,
                              templates=self.templates, school_sha=self.school_sha)
        except InvalidInput as exc:
            return CaseOutcome(source=Path(path), problems=exc.problems)
        except PipelineError as exc:
            return CaseOutcome(source=Path(path), error=str(exc))


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
    try:
        settings.out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ArchiveError(f"cannot make the folder {settings.out_dir}: "
                           f"{exc.strerror or exc}") from None
    outcomes: list[CaseOutcome] = []
    if jobs > 1 and len(paths) > 1:
        # Forked workers inherit the school profile read here; each compiles only the
        # templates its cases need, in parallel with the others.
        global _worker
        _worker = drafter
        results = _in_parallel(paths, settings, min(jobs, len(paths)))
    else:
        results = map(drafter, paths)
    try:
        for outcome in results:
            outcomes.append(outcome)
            if progress:
                progress(outcome)
    finally:
        if batch:
            os.sync()  # everything written is on disk before the batch says it is done
    if settings.pdf:
        add_pdf_copies(outcomes, settings)
    return outcomes


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


def add_pdf_copies(outcomes: list[CaseOutcome], settings: Settings) -> list[Path]:
    """PDF copies of every drafted letter that lacks one, made in one LibreOffice process.

    Each PDF is linked in beside its letter (never replacing a file) and recorded in the case's
    manifest as a `pdf` entry with its SHA-256. A PDF is never made again under a name the
    manifest records, even if its file is gone (`letters verify` reports it missing).
    """
    def wanted_pdf(letter: LetterOutcome) -> bool:
        manifest = Manifest.read(letter.path.parent, letter.path.parent.name)
        return (not letter.path.with_suffix(".pdf").exists()
                and manifest.pdf_of(letter.path.name) is None)

    wanted = [l for o in outcomes if o.ok for l in o.letters if wanted_pdf(l)]
    if not wanted:
        return []
    staging = Path(tempfile.mkdtemp(prefix=".tmp-pdf-", dir=settings.out_dir))
    made: list[Path] = []
    try:
        pdfs = convert_to_pdf([l.path for l in wanted], staging)
        by_case: dict[Path, list[tuple[LetterOutcome, Path]]] = {}
        for letter, pdf in zip(wanted, pdfs):
            by_case.setdefault(letter.path.parent, []).append((letter, pdf))
        stamp = datetime.now(UTC).strftime(TIMESTAMP)
        for folder, items in by_case.items():
            with locked(folder):
                manifest = Manifest.read(folder, folder.name)
                entries: list[PdfEntry] = []
                for letter, pdf in items:
                    target = letter.path.with_suffix(".pdf")
                    if target.exists():
                        continue
                    data = pdf.read_bytes()
                    write_new(target, data)
                    made.append(target)
                    docx = next(e for e in reversed(manifest.letters())
                                if e.docx == letter.path.name)
                    entries.append(parse_entry({
                        "event": "pdf", "reference": letter.reference, "version": docx.version,
                        "kind": letter.kind, "files": {"pdf": target.name},
                        "sha256": {"pdf": sha256_bytes(data), "docx": docx.sha256.docx},
                        "from": letter.path.name, "format": "PDF/A-2b",
                        "written_at": stamp, "pipeline_version": __version__}))
                manifest.save(entries)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return made


# --- paths ------------------------------------------------------------------------------------


def case_files(paths: Iterable[Path | str]) -> list[Path]:
    """Case files named on the command line; a folder stands for the .yaml files in it.

    A folder with none is passed on as it is, so reading it says plainly that it is a folder.
    """
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        inside = sorted(p for p in path.glob("*.yaml") if p.is_file()) if path.is_dir() else []
        found += inside or [path]
    return found


def relative(path: Path) -> str:
    """A path as short as it can be shown: relative to here when inside, else as given."""
    try:
        shown = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if shown.startswith("..") else shown
