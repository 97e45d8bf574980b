"""Adding one entry to a case file's `history`, leaving every other byte as the office wrote it.

A round-trip YAML library would re-emit the whole file: quoting, line widths, indentation and
comments may come back changed. Here the file is parsed only to find where its `history` list
ends (PyYAML's node marks give exact positions), and the new entry is inserted there as text,
written as one flow mapping on its own line (`- {date: ..., step: ...}`), in the file's own
line endings and indentation:

- a block list (`history:` then `  - ...` lines): a new line after the last entry's last line;
- a flow list (`history: []` or `history: [{...}]`): the entry inside the brackets, on a line
  of its own when the list has one entry a line, with a comma after it when the others have one;
- `history:` with nothing after it (or `~`, `null`): the first entry on the next line;
- no `history` key at all: `history:` and the entry at the end of the file.

The result is parsed and validated before anything is written; the file is then replaced whole
(a temporary file in the same folder, then os.replace), keeping its permissions. Every value is
written as JSON text, which YAML reads as the same value.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from pipeline.errors import ArchiveError, InvalidInput, Problem

# Words YAML writes as they are and reads back as the same text (not a number, not a yes/no).
_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9_./-]*")
_NOT_TEXT = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}


def _scalar(value: Any) -> str:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and _PLAIN.fullmatch(value) and value.lower() not in _NOT_TEXT:
        return value
    return json.dumps(value, ensure_ascii=False)  # JSON text is YAML, read as the same value


def entry_text(entry: dict[str, Any]) -> str:
    """`{date: 2026-12-01, step: warning_letter, ...}`: one flow mapping on one line."""
    parts = []
    for key, value in entry.items():
        if value is None:
            continue
        if isinstance(value, list):
            shown = "[" + ", ".join(_scalar(v) for v in value) + "]"
        else:
            shown = _scalar(value)
        parts.append(f"{key}: {shown}")
    return "{" + ", ".join(parts) + "}"


def _newline(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def _history_node(text: str, name: str) -> tuple[yaml.Node | None, yaml.Node | None]:
    """(the top-level mapping, the node under its `history` key or None)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise InvalidInput([Problem(name, None, "", f"not valid YAML ({exc}); run letters "
                                    "check on it first")]) from None
    if not isinstance(root, yaml.MappingNode):
        raise InvalidInput([Problem(name, 1, "", "is not a case file (not a set of fields)")])
    for key, value in root.value:
        if isinstance(key, yaml.ScalarNode) and key.value == "history":
            return root, value
    return root, None


def _line_end(text: str, index: int) -> int:
    """The index just after the line break that ends the line holding `index`."""
    end = text.find("\n", index)
    return len(text) if end < 0 else end + 1


def _dash_column(text: str, item: yaml.Node) -> int:
    """The column of the `-` that opens a block list item."""
    line_start = text.rfind("\n", 0, item.start_mark.index) + 1
    before = text[line_start:item.start_mark.index]
    found = before.rfind("-")
    return found if found >= 0 else item.start_mark.column


def _insert_in_flow(text: str, node: yaml.SequenceNode, item: str, nl: str) -> str:
    """`item` added as the last entry of the flow list `node` (`[...]`), as one insertion: after
    the last entry (`, {...}`), or, when the last entry has a comma after it (YAML allows one)
    and the `]` is on a line of its own, on a new line before the `]`, in the same style."""
    close = text.rindex("]", 0, node.end_mark.index)
    line_start = text.rfind("\n", 0, close) + 1
    own_line = line_start > node.start_mark.index and not text[line_start:close].strip()
    if node.value:
        last = node.value[-1]
        # Between the last entry and the ']' there can be only blanks, comments and one comma.
        if "," not in re.sub(r"#[^\n]*", "", text[last.end_mark.index:close]):
            at = last.end_mark.index
            return f"{text[:at]}, {item}{text[at:]}"
        if not own_line:
            return f"{text[:close]} {item}{text[close:]}"
        first = text.rfind("\n", 0, last.start_mark.index) + 1
        line = text[first:last.start_mark.index]
        indent = " " * (len(line) - len(line.lstrip(" ")))
        return f"{text[:line_start]}{indent}{item},{nl}{text[line_start:]}"
    if own_line:  # `[  # none yet` ... `]`
        indent = " " * (len(text[line_start:close]) + 2)
        return f"{text[:line_start]}{indent}{item}{nl}{text[line_start:]}"
    return f"{text[:close]}{item}{text[close:]}"


def insert_history(text: str, entry: dict[str, Any], *, name: str = "case file") -> str:
    """`text` with `entry` added at the end of its history list; nothing else changes."""
    nl = _newline(text)
    item = entry_text(entry)
    root, node = _history_node(text, name)
    if node is None:  # no history key: add one at the end of the file
        tail = "" if text.endswith(("\n", "\r")) or not text else nl
        return f"{text}{tail}history:{nl}  - {item}{nl}"
    if isinstance(node, yaml.SequenceNode) and node.flow_style:
        return _insert_in_flow(text, node, item, nl)
    if isinstance(node, yaml.SequenceNode) and node.value:
        last = node.value[-1]
        end = last.end_mark.index
        # A block scalar or a multi-line mapping ends at the start of the next line already.
        at = end if end > 0 and text[end - 1] == "\n" else _line_end(text, max(end - 1, 0))
        indent = " " * _dash_column(text, last)
        prefix = "" if at == 0 or text[at - 1] == "\n" else nl
        return f"{text[:at]}{prefix}{indent}- {item}{nl}{text[at:]}"
    if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null":
        if node.end_mark.index > node.start_mark.index:  # `history: ~` or `history: null`
            before, after = text[:node.start_mark.index], text[node.end_mark.index:]
            if after[:1] in ("", "\n", "\r"):
                before = before.rstrip(" ")
            text = before + after
        key_line_end = _line_end(text, node.start_mark.index - 1 if node.start_mark.index else 0)
        prefix = "" if text[key_line_end - 1:key_line_end] == "\n" else nl
        return f"{text[:key_line_end]}{prefix}  - {item}{nl}{text[key_line_end:]}"
    raise InvalidInput([Problem(name, node.start_mark.line + 1, "history",
                                "is not a list, so a sent letter cannot be recorded in it; "
                                "run letters check on the file")])


def append_history(path: Path, entry: dict[str, Any], *,
                   validate: Callable[[Path, str], Any]) -> str:
    """Add `entry` to the case file at `path`, after `validate(path, new_text)` accepts the
    result (it raises InvalidInput otherwise, and the file is left untouched). Returns the new
    text."""
    raw = path.read_bytes()
    bom = raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    new = insert_history(text, entry, name=str(path))
    validate(path, new)
    data = ("\ufeff" if bom else "") + new
    _replace_keeping_mode(path, data.encode("utf-8"))
    return new


def _replace_keeping_mode(path: Path, data: bytes) -> None:
    mode = path.stat().st_mode & 0o7777
    try:
        fd, temp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    except OSError as exc:
        raise ArchiveError(f"cannot write beside {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException as exc:
        try:
            os.unlink(temp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise ArchiveError(f"cannot write {path}: {exc.strerror or exc}; it was not "
                               "changed") from None
        raise


