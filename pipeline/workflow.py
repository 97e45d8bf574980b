"""The whole path for one case or a batch: load → plan → render → archive.

This is what cli.py, the make targets, the tests and the benchmark call. It never prints: it
returns outcomes and reports progress through a callback, so the CLI decides how to show them.
"""

from __future__ import annotations

import contextlib
import html
import io
import multiprocessing
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path

from pipeline import __version__
from pipeline.archive import (
    Manifest,
    case_folder,
    letter_filename,
    locked,
    remove_stale_temps,
    sha256_bytes,
    sha256_file,
    write_new,
)
from pipeline.context import LetterMeta, build_context
from pipeline.errors import ArchiveError, InvalidInput, PipelineError, Problem, TemplateProblem
from pipeline.models import (
    LoadedCase,
    Plan,
    PlannedLetter,
    School,
    load_school,
    validate_case,
)
from pipeline.pdf import convert as convert_to_pdf
from pipeline.policy import decide, rules_digest
from pipeline.render import (
    CompiledTemplate,
    DocumentProperties,
    make_environment,
    same_but_for_unused_styles,
)

DEFAULT_SCHOOL = Path("data/school.yaml")
DEFAULT_TEMPLATES = Path(__file__).resolve().parent.parent / "letter_templates"
DEFAULT_OUT = Path("output")
SCHEMA_FILE = DEFAULT_TEMPLATES.parent / "docs" / "case.schema.json"
POSTER_KINDS = ("concern", "warning", "access_restriction")
THIRD_PARTY_KINDS = ("host_takedown", "police_referral")


@dataclass(frozen=True)
class Settings:
    """Where things are, and the choices of one run."""

    school_path: Path = DEFAULT_SCHOOL
    templates_dir: Path = DEFAULT_TEMPLATES
    out_dir: Path = DEFAULT_OUT
    letter_date: date | None = None  # --date: otherwise the day a letter is first drafted
    today: date | None = None  # tests pin the clock here
    pdf: bool = False  # also make a PDF/A copy of each letter (one LibreOffice run for all)
    # Flush each file to disk as it is written. A batch turns this off and syncs once at its
    # end, before it reports success: fsync per file was 40% of a batch's time.
    sync_each_file: bool = True


class Templates:
    """Each template loaded and compiled once per process, then reused for every letter."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.env = make_environment()
        self._cache: dict[str, CompiledTemplate] = {}

    def path_for(self, kind: str) -> Path:
        return self.folder / f"{kind}.docx"

    def get(self, kind: str) -> CompiledTemplate:
        if kind not in self._cache:
            self._cache[kind] = CompiledTemplate.load(self.path_for(kind), self.env)
        return self._cache[kind]


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
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems and not self.error


# --- check and plan ---------------------------------------------------------------------------


def check_case(path: Path | str, school: School | None = None) -> tuple[LoadedCase, Plan]:
    """Validate a case and the plan's own demands on it (an address for posted letters)."""
    loaded = validate_case(path)
    plan = decide(loaded.case, school)
    poster = loaded.case.poster
    needs_post = sorted({l.kind for l in plan.letters if l.kind in POSTER_KINDS})
    if needs_post and not poster.address:
        line = loaded.located.line_of(("poster",))
        raise InvalidInput([Problem(str(path), line, "poster.address",
                                    f"is required: a {needs_post[0]} letter goes to the poster "
                                    "by post; add address: [street, town, postcode]")])
    return loaded, plan


def load_school_profile(settings: Settings) -> School:
    return load_school(settings.school_path)


def review_warning(school: School, today: date | None = None) -> str | None:
    """A warning when the policy every letter quotes is past its review date, else None."""
    today = today or date.today()
    policy = school.policy
    if today <= policy.next_review_date:
        return None
    return (f"Warning: the school's {policy.title} was due for review in {policy.next_review} "
            f"(by {policy.next_review_date.isoformat()}), and every letter quotes it. Check the "
            "policy is still current, then update policy.next_review_date in the school profile.")


# --- draft ------------------------------------------------------------------------------------


def _properties(letter: PlannedLetter, context: dict, school: School, day: date,
                case_id: str) -> DocumentProperties:
    return DocumentProperties(title=context["letter"]["subject"],
                              subject=f"{letter.kind.replace('_', ' ')} letter, case {case_id}",
                              author=school.name, keywords=context["letter"]["reference"],
                              letter_date=day)


_TEXT_RUN = re.compile(r"<w:t(?: [^>]*)?>([^<]*)</w:t>")


def _leaks_pupil(data: bytes, loaded: LoadedCase) -> str | None:
    """A pupil's full name in a third-party letter's text: the last guard before writing."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        xml = "".join(zf.read(n).decode("utf-8") for n in zf.namelist()
                      if n.startswith("word/") and n.endswith(".xml"))
    text = html.unescape("".join(_TEXT_RUN.findall(xml)))
    # Full names only: a pupil recorded by one name ('Will') would match ordinary words
    # ('will'), and the redactor has already written every name by its initials.
    for name in (n for n in loaded.case.pupils if " " in n.strip()):
        if re.search(r"(?<!\w)" + re.escape(name) + r"(?!\w)", text, re.IGNORECASE):
            return name
    return None


def _same_inputs(entry: dict, case_sha: str, template_sha: str, school_sha: str,
                 rules_sha: str) -> bool:
    """Whether a manifest entry was drafted from exactly these case, template, school, rules."""
    recorded = entry["sha256"]
    return (recorded.get("case"), recorded.get("template"), recorded.get("school"),
            recorded.get("rules")) == (case_sha, template_sha, school_sha, rules_sha)


def _same_letter(archived: Path, data: bytes, archived_sha: str) -> bool:
    """Whether the archived letter is `data` but for the unused styles earlier versions of this
    program kept in every letter: then it is the same letter, and no new version is due.

    Asked only when the letter's inputs are unchanged (`_same_inputs`), and only of the file
    the manifest vouches for, so a changed template or an altered file is never taken for it.
    """
    try:
        raw = archived.read_bytes()
    except OSError:
        return False
    if sha256_bytes(raw) != archived_sha:
        return False
    return same_but_for_unused_styles(raw, data)


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM while a case's letters and manifest are committed (a few ms).

    A signal arriving then is delivered once the commit is whole, so an interrupted run never
    leaves a letter without its manifest entry, nor an entry without its letter.
    """
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
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


def _new_exclusions(plan: Plan, manifest: Manifest, case_sha: str) -> list[dict]:
    """The school's decisions not to send a letter, for the archive, each recorded once."""
    known = {(e["kind"], e.get("platform"), e["reason"])
             for e in manifest.entries if e.get("event") == "excluded"}
    return [{"event": "excluded", "kind": e.kind, "platform": e.platform, "reason": e.reason,
             "sha256": {"case": case_sha, "rules": rules_digest()},
             "pipeline_version": __version__}
            for e in plan.excluded if (e.kind, e.platform, e.reason) not in known]


def _render_letter(template: CompiledTemplate, letter: PlannedLetter, loaded: LoadedCase,
                   school: School, reference: str, on: date) -> bytes:
    meta = LetterMeta(reference=reference, letter_date=on)
    context = build_context(letter, loaded.case, school, meta, loaded.path.parent)
    props = _properties(letter, context, school, on, loaded.case.case_id)
    return template.render(context, props, kind=letter.kind)


def draft_case(path: Path | str, settings: Settings, school: School, templates: Templates,
               school_sha: str, now: Callable[[], datetime] | None = None) -> CaseOutcome:
    """Render every planned letter of one case and archive the new ones.

    All letters are rendered before anything is written, so a template error on the third
    letter leaves the archive as it was.
    """
    outcome = CaseOutcome(source=Path(path))
    loaded, plan = check_case(path, school)
    case = loaded.case
    outcome.case_id = case.case_id
    outcome.notes = list(plan.notes)
    today = settings.today or date.today()
    folder = case_folder(settings.out_dir, case.case_id)
    case_sha = sha256_bytes(loaded.text.encode("utf-8"))
    rules_sha = rules_digest()
    with locked(folder):
        remove_stale_temps(folder)
        manifest = Manifest.read(folder, case.case_id)
        pending: list[tuple[Path, bytes, dict]] = []
        for letter in plan.letters:
            template = templates.get(letter.kind)
            number = manifest.number_for(letter.key, [entry for _, _, entry in pending])
            reference = f"{case.case_id}/{number:02d}"
            latest = manifest.latest(letter.key)
            # A letter keeps the date it was drafted on, so re-running later is "unchanged".
            pinned = date.fromisoformat(latest["letter_date"]) if latest else today
            day = settings.letter_date or pinned

            render = partial(_render_letter, template, letter, loaded, school, reference)
            data = render(day)
            if latest and (latest["sha256"]["docx"] == sha256_bytes(data) or (
                    _same_inputs(latest, case_sha, template.sha256, school_sha, rules_sha)
                    and _same_letter(folder / latest["files"]["docx"], data,
                                     latest["sha256"]["docx"]))):
                outcome.letters.append(LetterOutcome(reference, letter.kind,
                                                     folder / latest["files"]["docx"],
                                                     "unchanged"))
                continue
            if latest and settings.letter_date is None and day != today:
                # The inputs changed: this is a new draft, dated the day it is drafted.
                day = today
                data = render(day)
            if letter.kind in THIRD_PARTY_KINDS:
                leaked = _leaks_pupil(data, loaded)
                if leaked:
                    raise TemplateProblem(
                        f"{template.name}: the {letter.kind} letter would show the pupil name "
                        f"{leaked!r}; pupils appear by initials only in letters to third "
                        "parties. Check the template for a field that prints a name unredacted.")
            version = (latest["version"] + 1) if latest else 1
            target = folder / letter_filename(case.case_id, number, letter.key, version)
            while target.exists() and sha256_file(target) != sha256_bytes(data):
                # A file a killed run left without a manifest entry: keep it, use the next name.
                version += 1
                target = folder / letter_filename(case.case_id, number, letter.key, version)
            entry = {
                "event": "letter", "reference": reference, "number": number,
                "version": version, "key": letter.key, "kind": letter.kind,
                "recipient": letter.to, "platform": letter.platform,
                "posts": list(letter.posts), "letter_date": day.isoformat(),
                "files": {"docx": target.name},
                "sha256": {"docx": sha256_bytes(data), "case": case_sha,
                           "template": template.sha256, "school": school_sha,
                           "rules": rules_sha},
                "case_file": str(loaded.path.resolve()), "template": template.name,
                "reasons": list(letter.reasons), "clauses": list(letter.clauses),
                "overrides": list(letter.overrides),
                "pipeline_version": __version__,
            }
            pending.append((target, data, entry))
            outcome.letters.append(LetterOutcome(reference, letter.kind, target,
                                                 "new version" if version > 1 else "written"))
        written_at = (now or (lambda: datetime.now(UTC)))()
        excluded = _new_exclusions(plan, manifest, case_sha)
        created: list[Path] = []
        if pending or excluded:
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ArchiveError(f"cannot make the folder {folder}: {exc.strerror or exc}"
                                   ) from None
        with _signals_held(), _rolled_back_on_failure(created, manifest.path):
            for target, data, entry in pending:
                if not target.exists():
                    # Listed before the link, so an interruption just after it is undone too.
                    created.append(target)
                    try:
                        write_new(target, data, settings.sync_each_file)
                    except ArchiveError:
                        created.remove(target)  # not linked: never ours to take back
                        raise
                entry["written_at"] = written_at.strftime("%Y-%m-%dT%H:%M:%SZ")
            stamp = written_at.strftime("%Y-%m-%dT%H:%M:%SZ")
            manifest.save([entry for _, _, entry in pending]
                          + [dict(e, written_at=stamp) for e in excluded],
                          settings.sync_each_file)
    return outcome


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
        self.school = load_school_profile(settings)
        self.school_sha = sha256_file(settings.school_path)
        self.templates = Templates(settings.templates_dir)

    def __call__(self, path: Path) -> CaseOutcome:
        try:
            return draft_case(path, self.settings, self.school, self.templates, self.school_sha)
        except InvalidInput as exc:
            return CaseOutcome(source=Path(path), problems=exc.problems)
        except PipelineError as exc:
            return CaseOutcome(source=Path(path), error=str(exc))


_worker: _Drafter | None = None


def _start_worker(settings: Settings) -> None:
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


def draft_many(paths: Iterable[Path | str], settings: Settings,
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
    settings.out_dir.mkdir(parents=True, exist_ok=True)
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


def _pdf_recorded(docx: Path) -> bool:
    """Whether the manifest already holds a PDF of this letter (even if its file is gone:
    a PDF is never made again under a recorded name; `letters verify` reports it missing)."""
    manifest = Manifest.read(docx.parent, docx.parent.name)
    return any(e.get("event") == "pdf" and e.get("from") == docx.name for e in manifest.entries)


def add_pdf_copies(outcomes: list[CaseOutcome], settings: Settings) -> list[Path]:
    """PDF copies of every drafted letter that lacks one, made in one LibreOffice process.

    Each PDF is linked in beside its letter (never replacing a file) and recorded in the case's
    manifest as a `pdf` entry with its SHA-256.
    """
    wanted = [(o, l) for o in outcomes if o.ok for l in o.letters
              if not l.path.with_suffix(".pdf").exists() and not _pdf_recorded(l.path)]
    if not wanted:
        return []
    staging = Path(tempfile.mkdtemp(prefix=".tmp-pdf-", dir=settings.out_dir))
    made: list[Path] = []
    try:
        pdfs = convert_to_pdf([l.path for _, l in wanted], staging)
        by_case: dict[Path, list[tuple[LetterOutcome, Path]]] = {}
        for (outcome, letter), pdf in zip(wanted, pdfs):
            by_case.setdefault(letter.path.parent, []).append((letter, pdf))
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        for folder, items in by_case.items():
            with locked(folder):
                manifest = Manifest.read(folder, folder.name)
                entries = []
                for letter, pdf in items:
                    target = letter.path.with_suffix(".pdf")
                    if target.exists():
                        continue
                    data = pdf.read_bytes()
                    write_new(target, data)
                    made.append(target)
                    docx_entry = next(e for e in reversed(manifest.letters())
                                      if e["files"]["docx"] == letter.path.name)
                    entries.append({
                        "event": "pdf", "reference": letter.reference,
                        "version": docx_entry["version"], "kind": letter.kind,
                        "files": {"pdf": target.name},
                        "sha256": {"pdf": sha256_bytes(data), "docx": docx_entry["sha256"]["docx"]},
                        "from": letter.path.name, "format": "PDF/A-2b",
                        "written_at": stamp, "pipeline_version": __version__,
                    })
                manifest.save(entries)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return made


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
