"""Reading YAML case files safely, keeping the line of every value.

PyYAML's own loader is not enough for files that office staff write by hand: it keeps the last of
two duplicate keys without a word, expands aliases (and so alias bombs) and forgets where each value
came from. Here the file is composed into PyYAML's node tree (safe: no Python objects are ever
built), and the nodes are turned into plain data by our own walk, which refuses duplicate keys,
aliases and merge keys and records the line of every value, so validation can say
``FILE:LINE: field: message`` for each problem.
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

from pipeline.errors import InvalidInput, Problem

# A case file is a few kilobytes; 5 MB leaves room for hundreds of long posts and refuses a
# runaway paste or a wrong file before the parser spends any time on it.
MAX_FILE_BYTES = 5 * 1024 * 1024
# Case files nest four levels deep; anything far deeper is a mistake or an attack, and PyYAML's
# composer is recursive, so the depth is checked on the raw text before it is parsed.
MAX_DEPTH = 40

Path_ = tuple  # a path into the data: ("posts", 0, "text")


@dataclass
class Located:
    """Plain data read from a YAML file, with the line (1-based) of each value by its path."""

    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)
    raw: dict[Path_, str] = field(default_factory=dict)
    source: str = ""
    problems: list[Problem] = field(default_factory=list)

    def line_of(self, path: Path_) -> int | None:
        """The line of the value at `path`, or of its nearest enclosing value that has one."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), None)


_CONTROL_NAMES = {0: "NUL", 7: "BELL", 8: "BACKSPACE", 0x1B: "ESCAPE", 0x7F: "DELETE"}


def char_name(ch: str) -> str:
    """A character as staff can find it: U+200B (ZERO WIDTH SPACE)."""
    code = ord(ch)
    name = _CONTROL_NAMES.get(code) or unicodedata.name(ch, "")
    if 0xD800 <= code <= 0xDFFF:
        name = "a lone surrogate, half of a broken character"
    elif not name:
        name = "control character"
    return f"U+{code:04X} ({name})"


class _AliasNode(yaml.ScalarNode):
    """Stands where the file says `*name`, so aliases are never expanded (no alias bombs)."""


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, composing an alias as an _AliasNode at the alias's own line."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.get_event()
            return _AliasNode("alias", event.anchor, event.start_mark, event.end_mark)
        return super().compose_node(parent, index)


class _Walker:
    """Turns a composed node tree into plain data, refusing what a case file must not hold."""

    def __init__(self, filename: str):
        self.filename = filename
        self.problems: list[Problem] = []
        self.lines: dict[Path_, int] = {}
        self.raw: dict[Path_, str] = {}
        self._seen: set[int] = set()
        self.repeated = False  # a node met twice: libyaml's form of an alias
        self._constructor = SafeConstructor()

    def problem(self, node: yaml.Node, path: Path_, message: str) -> None:
        self.problems.append(
            Problem(self.filename, node.start_mark.line + 1, dotted(path), message)
        )

    def walk(self, node: yaml.Node, path: Path_ = (), depth: int = 0) -> Any:
        self.lines.setdefault(path, node.start_mark.line + 1)
        if id(node) in self._seen:
            self.repeated = True
            return None
        self._seen.add(id(node))
        if isinstance(node, _AliasNode):
            self.problem(node, path, f"uses a YAML alias (*{node.value}) to repeat an earlier "
                         "value; write the value out in full instead")
            return None
        if depth > MAX_DEPTH:
            self.problem(node, path, "is nested too deeply to be part of a case file")
            return None
        if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and node.tag not in (
                "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"):
            self.problem(node, path, f"uses the YAML tag {node.tag!r}, which a case file cannot "
                         "hold; remove the tag")
            return None
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path, depth)
        if isinstance(node, yaml.SequenceNode):
            return [self.walk(item, path + (i,), depth + 1) for i, item in enumerate(node.value)]
        return self._scalar(node, path)

    def _mapping(self, node: yaml.MappingNode, path: Path_, depth: int) -> dict:
        result: dict = {}
        first_line: dict = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                self.problem(key_node, path, "uses a YAML merge key (<<); write the fields out in full")
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.problem(key_node, path, "has a key that is not a plain name")
                continue
            key = key_node.value
            line = key_node.start_mark.line + 1
            if key in first_line:
                self.problem(key_node, path + (key,),
                             f"appears twice (first on line {first_line[key]}); keep only one")
                continue
            first_line[key] = line
            self.lines[path + (key,)] = line
            result[key] = self.walk(value_node, path + (key,), depth + 1)
        return result

    def _scalar(self, node: yaml.ScalarNode, path: Path_) -> Any:
        tag = node.tag
        if tag == "tag:yaml.org,2002:str":
            return node.value
        if tag in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
                   "tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:null"):
            self.raw[path] = node.value
            try:
                return self._constructor.construct_object(node, deep=True)
            except (ValueError, OverflowError, yaml.YAMLError):
                # e.g. a timestamp-shaped value that is not a real date: keep the text,
                # validation then says what is wrong with it.
                return node.value
        self.problem(node, path, f"uses the YAML tag {tag!r}, which a case file cannot hold; "
                     "remove the tag")
        return None


def dotted(path: Path_) -> str:
    """A path as staff read it: posts[1].text (list positions counted from 1)."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part + 1}]"
        else:
            out += ("." if out else "") + str(part)
    return out


# What YAML refuses raw in a file (controls, DEL, C1, non-characters), plus the Unicode line
# breaks it accepts but an editor does not show as new lines, so lines would no longer match.
_RAW_UNSAFE = re.compile("[^\x09\x0A\x0D\x20-\x7E\xA0-\uD7FF\uE000-\uFFFD\U00010000-\U0010FFFF]"
                         "|[\u2028\u2029]")


def line_number(text: str | bytes, position: int) -> int:
    """The line `position` is on, counting line ends as YAML and editors do: LF, CRLF, or CR
    alone (a file saved by an old Mac editor has only CRs)."""
    lf, cr, crlf = ("\n", "\r", "\r\n") if isinstance(text, str) else (b"\n", b"\r", b"\r\n")
    return (text.count(lf, 0, position) + text.count(cr, 0, position)
            - text.count(crlf, 0, position) + 1)


def _raw_character(name: str, text: str) -> Problem | None:
    """A character typed (not escaped) into the file that YAML would refuse or misread."""
    match = _RAW_UNSAFE.search(text)
    if not match:
        return None
    line = line_number(text, match.start())
    return Problem(name, line, "", f"contains the invisible character {char_name(match.group())}"
                   ", which a case file cannot hold as typed; delete it (it usually comes with "
                   "text pasted from Word or a web page) and type an ordinary line break or space")


def _too_deep(text: str) -> int | None:
    """Line where mappings and lists nest deeper than MAX_DEPTH, else None.

    Read from the parser's events, which libyaml produces without recursion, before anything
    recursive (the composers) sees the text: `[[[[...]]]]` or `- - - ...` thousands deep would
    otherwise exhaust the stack.
    """
    loader = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader
    depth = 0
    try:
        for event in yaml.parse(text, Loader=loader):
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    return event.start_mark.line + 1
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
    except yaml.MarkedYAMLError as exc:
        if "nesting" in str(exc.problem) and exc.problem_mark:  # libyaml's own limit (1000)
            return exc.problem_mark.line + 1
        return None  # not valid YAML: composing it says where and why
    except (yaml.YAMLError, ValueError):
        return None
    return None


def read_text(path: Path) -> str:
    """The file's text, or InvalidInput saying plainly why it cannot be read."""
    name = str(path)
    def refuse(message: str, line: int | None = None) -> InvalidInput:
        return InvalidInput([Problem(name, line, "", message)])

    if not path.exists():
        raise refuse("no such file; check the name and folder")
    if path.is_dir():
        raise refuse("is a folder, not a case file; name a .yaml file inside it")
    if not path.is_file():
        raise refuse("is not an ordinary file (a device or pipe?); name a .yaml case file")
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise refuse(f"is {size / 1024 / 1024:.1f} MB; a case file must be under "
                         f"{MAX_FILE_BYTES // 1024 // 1024} MB (is this the right file?)")
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except PermissionError:
        raise refuse("cannot be read (permission denied); ask whoever manages the computer") from None
    except OSError as exc:
        raise refuse(f"cannot be read ({exc.strerror or exc})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = line_number(data, exc.start)
        raise refuse("is not UTF-8 text; save it again as UTF-8 (in Notepad: Save As, "
                     "Encoding: UTF-8)", line) from None


def _compose_fast(text: str) -> yaml.Node | None:
    """libyaml's composer (C, several times faster); None when the text needs a closer look."""
    if not yaml.__with_libyaml__:
        return None
    try:
        return yaml.compose(text, Loader=yaml.CSafeLoader)
    except (yaml.YAMLError, RecursionError, ValueError):
        return None  # the pure-Python composer below gives PyYAML's usual, clearer messages


def _compose(name: str, text: str) -> yaml.Node | None:
    try:
        return yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        hint = "check indentation, colons and quotes"
        if exc.context_mark and "end of stream" in (exc.problem or ""):
            # An unclosed quote or bracket: the line where it opened is the one to fix.
            mark = exc.context_mark
        elif exc.context_mark and exc.context == "while scanning a simple key":
            # A line with no colon that YAML took for a field: usually a line of a pasted post
            # that is not indented like the lines above it, reported further down.
            mark = exc.context_mark
            hint = ("if this line is part of a post's text, indent it like the lines above it; "
                    "otherwise check its colon")
        problem = exc.problem or ""
        if "'\\t'" in problem or "tab character" in problem:
            # Indenting with the Tab key: YAML allows only spaces there (a tab inside a post's
            # text is kept, as written).
            hint = ("this line has a tab where YAML allows only spaces, usually to indent it: "
                    "use spaces instead")
        line = mark.line + 1 if mark else None
        detail = exc.problem or "is not valid YAML"
        if exc.context:
            detail = f"{exc.context}, {detail}"
        raise InvalidInput([Problem(name, line, "", f"not valid YAML: {detail} ({hint})")]
                           ) from None
    except yaml.YAMLError as exc:
        raise InvalidInput([Problem(name, None, "", f"not valid YAML: {exc}")]) from None
    except RecursionError:
        raise InvalidInput([Problem(name, None, "", "is nested too deeply to be a case file")]
                           ) from None


def load_yaml(path: Path | str, text: str | None = None) -> Located:
    """Read one YAML file into Located data.

    A file that cannot be parsed at all raises InvalidInput; problems found while walking it
    (duplicate keys, aliases) are kept in `problems` so validation can add its own to them.
    """
    path = Path(path)
    name = os.fspath(path)
    if text is None:
        text = read_text(path)
    raw = _raw_character(name, text)
    if raw:
        raise InvalidInput([raw])
    deep_line = _too_deep(text)
    if deep_line is not None:
        raise InvalidInput([Problem(name, deep_line, "", "is nested too deeply to be part of a "
                                    "case file (lists or fields inside each other more than "
                                    f"{MAX_DEPTH} levels)")])
    node = _compose_fast(text)
    if node is None:
        node = _compose(name, text)
    if node is None:
        raise InvalidInput([Problem(name, 1, "", "is empty; a case file needs at least case_id, "
                                    "opened, poster and posts")])
    walker = _Walker(name)
    data = walker.walk(node)
    if walker.repeated:
        # libyaml composed an alias as the anchored node itself; compose again in Python,
        # where each alias keeps its own line, so the problem points at the `*name`.
        walker = _Walker(name)
        data = walker.walk(_compose(name, text))
    # Duplicate keys and aliases are reported together with what validation finds next.
    return Located(data=data, lines=walker.lines, raw=walker.raw, source=name,
                   problems=walker.problems)
