"""Limits on what rendering a letter template may cost: time, output size and memory.

A template can come from any folder (`--templates DIR`), so it is untrusted input. Jinja's
sandbox stops it reaching Python internals, but not from asking for a lot of work: nested
`range(100000)` loops, `'x' * 10**10`, `[1] * 10**9`, `'%999999999s'|format('a')` (4.9 GB, 44 s),
`lipsum(n=10**7)`, `s ~ s` doubled forty times. This module renders under limits instead:

* a time limit per letter, kept by SIGALRM (main thread) and by checks at every intercepted
  operation, loop step and output chunk (any thread);
* a cap on the letter's output, on any one value a template builds (text, list, number), and on
  all the text it builds while rendering (its "work");
* the sandbox refusing, *before* computing it, any operation whose result would break a cap:
  huge ranges, string and list repetition, concatenation (`+`, `~`), padding and format widths
  (`center`, `indent`, `'%9999s'`, `'{:9999}'`), `join`, `replace`, `wordwrap`, `lipsum`, big
  powers, deep macro recursion, lists nested deep.

A refused operation raises `LimitExceeded`, whose message names the limit in plain words; the
caller adds the template's name.

How the checks reach everything a template can do: calls, binary operators and attribute lookups
already pass through the sandboxed environment (`call`, `call_binop`, `getattr`); filters and the
globals (`range`, `lipsum`, `dict`, ...) are wrapped here; and a small code generator subclass
routes the few operations Jinja compiles to plain Python (`~`, `[...]`, `(...)`, `{...}`,
slices, `*args`, `for` loops and captured output) through the environment as well.

Sizes are measured in characters, roughly bytes: a list, tuple or dict counts 56 (an empty
list's size in CPython), plus 8 per item (a pointer) and the size of what it holds, counting a
value each time it is held. So `[s] * 1000` is 1000 times `s`, which is what printing it would
cost, and a structure that shares itself cannot grow past the cap either (hashing, comparing or
printing one walks every copy in C, where no timer can stop it).
"""

from __future__ import annotations

import io
import itertools
import json
import math
import pprint
import signal
import threading
import time
import types
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, fields
from functools import update_wrapper
from typing import Any

from jinja2 import StrictUndefined, Template, nodes
from jinja2.compiler import CodeGenerator, Frame, optimizeconst
from jinja2.filters import make_attrgetter
from jinja2.runtime import BlockReference, LoopContext, Macro, Undefined, str_join
from jinja2.sandbox import (
    ImmutableSandboxedEnvironment,
    SandboxedEscapeFormatter,
    SandboxedFormatter,
    SecurityError,
)
from jinja2.utils import Namespace, generate_lorem_ipsum
from markupsafe import Markup

from pipeline.errors import TemplateProblem

__all__ = ["Allowance", "LimitExceeded", "LimitedEnvironment", "Limits", "render_limited"]


@dataclass(frozen=True)
class Limits:
    """What rendering one letter may cost. The defaults leave real letters a wide margin.

    The largest real letter: a case file may be 5 MB (pipeline.cases), and the police referral
    for 500 posts of 7,600 characters each made of `& < " '` (the costliest text to escape)
    renders to 19.1 million characters of XML in 75 ms; ordinary text of the same size gives 7.3
    million. `output_chars` is 50 million: room for a template that quotes every post twice.
    """

    #: Wall-clock seconds per letter (a letter renders in 1-2 ms; the 500-post one in 75 ms).
    seconds: float = 10.0
    #: Characters of XML one letter may produce (all its parts rendered under one Allowance).
    output_chars: int = 50_000_000
    #: Characters in any one value a template builds: a string, or a list measured as in the
    #: module docstring. No value needs to be bigger than a whole letter may be.
    value_chars: int = 50_000_000
    #: Characters a template may build in all while rendering one letter, counting each string
    #: a filter, method, operator or captured block makes: four letters' worth. This is what keeps
    #: a loop from piling up values that are each under `value_chars`.
    work_chars: int = 200_000_000
    #: Longest `range()`, and most items a list may gain by repetition or padding (`[x] * n`,
    #: `batch(n, fill)`, `slice(n)`, `lipsum` words): Jinja's own range limit.
    items: int = 100_000
    #: Widest padding or field width (`center`, `ljust`, `indent`, `'%30s'`, `'{:>30}'`, tojson's
    #: indent, `expandtabs`): a line of a letter is under 100 characters.
    width: int = 1_000
    #: Most decimal digits in a number a template computes (`2 ** n`, `a * b`): Python's own limit
    #: for printing an int.
    int_digits: int = 4_300
    #: Deepest nesting of macro calls, recursive loops and block calls (real templates nest 2-3
    #: deep; a runaway recursion would otherwise end in a RecursionError around 100 levels), and
    #: of lists, tuples and dicts (a letter's data nests 5 deep; hashing tuples nested 100,000
    #: deep crashes CPython).
    depth: int = 30

    def __post_init__(self) -> None:
        for f in fields(self):
            if not getattr(self, f.name) > 0:
                raise ValueError(f"Limits.{f.name} must be positive, not {getattr(self, f.name)!r}")


class LimitExceeded(TemplateProblem):
    """A template asked for more than a limit allows. `limit` is a short name (e.g. "time",
    "output size", "width"); the message says in plain words what was asked and the limit.

    A TemplateProblem, so wherever it escapes it is reported like any other template fault
    (exit status 1), never as a traceback; docx/template.py adds the template's name."""

    def __init__(self, limit: str, message: str):
        super().__init__(message)
        self.limit = limit
        self.message = message


class Allowance:
    """What one letter may still spend: its deadline, output and work.

    Made by `render_limited` for each call, or made once by the caller and passed to the calls
    for each part of one letter (body, headers, footers) so that the limits apply to the letter.
    The clock starts when it is made: make it just before rendering, not before building the
    context. Use it in one thread at a time.
    """

    __slots__ = ("limits", "deadline", "output", "work", "depth", "_sizes")

    def __init__(self, limits: Limits):
        self.limits = limits
        self.deadline = time.monotonic() + limits.seconds
        self.output = 0
        self.work = 0
        self.depth = 0
        # The lists, tuples and dicts measured so far, and their measures. The sandbox
        # keeps a template from changing them (ImmutableSandboxedEnvironment), and holding each
        # one here keeps its id from being reused during the render.
        self._sizes: dict[int, tuple[Any, int, int]] = {}  # id -> (container, size, depth)

    def tick(self) -> None:
        if time.monotonic() > self.deadline:
            raise _out_of_time(self.limits)

    def charge(self, chars: int) -> None:
        self.work += chars
        if self.work > self.limits.work_chars:
            raise LimitExceeded(
                "work", f"builds more than {self.limits.work_chars:,} characters of text in all "
                        "(the work limit for one letter)")


_ALLOWANCE: ContextVar[Allowance | None] = ContextVar("letter_allowance", default=None)


def _out_of_time(limits: Limits) -> LimitExceeded:
    return LimitExceeded("time", f"took longer than {limits.seconds:g} seconds to render "
                                 "(the time limit for one letter)")


# --- sizes -------------------------------------------------------------------------------------

_VIEWS = (type({}.keys()), type({}.values()), type({}.items()))
_HEAD = 56  # what CPython spends on an empty list: a container's size starts there
_CONTAINERS = (list, tuple, dict, set, frozenset, *_VIEWS)
_MULTIPLE_LINE_BREAKS = "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def _is_container(value: Any) -> bool:
    return isinstance(value, _CONTAINERS) or type(value) is Namespace


def _members(value: Any) -> Iterable[Any]:
    if isinstance(value, dict):
        return itertools.chain(value.keys(), value.values())
    if isinstance(value, _VIEWS):
        return (value.mapping,)  # type: ignore[union-attr]
    if type(value) is Namespace:
        return (object.__getattribute__(value, "_Namespace__attrs"),)
    return value


def _leaf_size(value: Any) -> int:
    if isinstance(value, (str, bytes, bytearray)):
        return len(value)
    if isinstance(value, int):
        return value.bit_length() * 3 // 10 + 1
    return 8


def _flat_size(value: Any) -> int | None:
    """The size of a list or tuple of at most 16 items holding no containers, else None."""
    if type(value) not in (list, tuple) or len(value) > 16:
        return None
    size = _HEAD
    for item in value:
        if _is_container(item):
            return None
        size += 8 + _leaf_size(item)
    return size


def _escaped_len(text: str) -> int:
    """len(markupsafe.escape(text)), without making it."""
    if hasattr(text, "__html__"):
        return len(text)
    return (len(text) + 4 * (text.count("&") + text.count('"') + text.count("'"))
            + 3 * (text.count("<") + text.count(">")))


def _ascii_or_triple(text: str) -> int:
    """An upper bound on len(text.upper()) and the like: case mapping can triple a character."""
    return len(text) if text.isascii() else 3 * len(text)


# --- the environment ---------------------------------------------------------------------------


class LimitedCodeGenerator(CodeGenerator):
    """Jinja's code generator, with the operations it compiles to plain Python routed through
    the environment: `~`, list/tuple/dict literals, slices, `*args`, loops and output buffers."""

    # id(node) -> the environment method to hand the node's value to: a `for` loop's iterable
    # (to watch the clock in long loops) and a call's `*args` (materialised under the limits).
    # (Jinja forbids new node types, so the nodes are marked here instead.)
    _limits_wrap: dict[int, str] = {}

    def visit_Template(self, node: nodes.Template, frame: Frame | None = None) -> None:
        self._limits_wrap = {id(loop.iter): "_limits_iter" for loop in node.find_all(nodes.For)}
        for call in node.find_all((nodes.Call, nodes.Filter, nodes.Test)):
            if call.dyn_args is not None:
                self._limits_wrap[id(call.dyn_args)] = "_limits_star"
        super().visit_Template(node, frame)

    def visit(self, node: nodes.Node, *args: Any, **kwargs: Any) -> Any:
        hook = self._limits_wrap.get(id(node))
        if hook is None:
            return super().visit(node, *args, **kwargs)
        self.write(f"environment.{hook}(")
        super().visit(node, *args, **kwargs)
        self.write(")")
        return None

    def buffer(self, frame: Frame) -> None:
        frame.buffer = self.temporary_identifier()
        self.writeline(f"{frame.buffer} = environment._limits_buffer()")

    @optimizeconst
    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        if frame.eval_ctx.volatile:
            join = "(markup_join if context.eval_ctx.volatile else str_join)"
        elif frame.eval_ctx.autoescape:
            join = "markup_join"
        else:
            join = "str_join"
        self.write(f"environment._limits_concat({join}, (")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")

    def visit_List(self, node: nodes.List, frame: Frame) -> None:
        self.write("environment._limits_built(")
        super().visit_List(node, frame)
        self.write(")")

    def visit_Dict(self, node: nodes.Dict, frame: Frame) -> None:
        self.write("environment._limits_built(")
        super().visit_Dict(node, frame)
        self.write(")")

    def visit_Tuple(self, node: nodes.Tuple, frame: Frame) -> None:
        if node.ctx == "store":
            super().visit_Tuple(node, frame)
            return
        self.write("environment._limits_built(")
        super().visit_Tuple(node, frame)
        self.write(")")

    @optimizeconst
    def visit_Getitem(self, node: nodes.Getitem, frame: Frame) -> None:
        if not isinstance(node.arg, nodes.Slice):
            parent = CodeGenerator.visit_Getitem
            getattr(parent, "__wrapped__", parent)(self, node, frame)
            return
        self.write("environment._limits_slice(")
        self.visit(node.node, frame)
        for part in (node.arg.start, node.arg.stop, node.arg.step):
            self.write(", ")
            if part is None:
                self.write("None")
            else:
                self.visit(part, frame)
        self.write(")")


class _Buffer(list):
    """The list a macro, `{% set %}` block, `{% filter %}` block or recursive loop collects its
    output in. Each piece counts its length plus 8 (the pointer) against the value limit; the
    total is charged as work when the buffer is joined (LimitedEnvironment.concat)."""

    __slots__ = ("_room", "_allowance", "_size")

    def __init__(self, limits: Limits, allowance: Allowance | None):
        super().__init__()
        self._room = limits.value_chars
        self._allowance = allowance
        self._size = 0

    def append(self, item: Any) -> None:
        self._size += len(item) + 8 if isinstance(item, str) else 8
        if self._size > self._room or not len(self) & 1023:
            self._check()
        list.append(self, item)

    def extend(self, items: Iterable[Any]) -> None:
        items = tuple(items)
        self._size += sum(len(i) + 8 if isinstance(i, str) else 8 for i in items)
        self._check()
        list.extend(self, items)

    def _check(self) -> None:
        if self._size > self._room:
            raise LimitExceeded(
                "value size", f"would build a block of captured output of about {self._size:,} "
                              f"characters; one value may have at most {self._room:,} (the size "
                              "limit for one value)")
        if self._allowance is not None:
            self._allowance.tick()


class _Ticking:
    """A long or lazy loop's iterable: looks at the clock every 1024 steps (for renders off the
    main thread, where SIGALRM cannot interrupt). If the template asks for `loop.length` of a
    lazy loop, the rest of it is read then, under the value limit (Jinja would call list())."""

    __slots__ = ("_iterable", "_env", "_allowance", "_source", "_count")

    def __init__(self, iterable: Any, env: LimitedEnvironment, allowance: Allowance):
        self._iterable = iterable
        self._env = env
        self._allowance = allowance
        self._source: Iterator[Any] | None = None
        self._count = 0

    def __iter__(self) -> Iterator[Any]:
        if self._source is None:
            self._source = iter(self._iterable)
        tick = self._allowance.tick
        while True:
            try:
                item = next(self._source)  # read each time: __len__ may replace it
            except StopIteration:
                return
            self._count += 1
            if not self._count & 1023:
                tick()
            yield item

    def __len__(self) -> int:
        if hasattr(self._iterable, "__len__"):
            return len(self._iterable)
        if self._source is None:
            self._source = iter(self._iterable)
        rest = self._env._materialize(self._source, "the rest of a loop")
        self._source = iter(rest)
        return self._count + len(rest)


def _too_big(limits: Limits, size: int, what: str) -> LimitExceeded:
    return LimitExceeded(
        "value size", f"would build {what} of about {size:,} characters; one value may have at "
                      f"most {limits.value_chars:,} (the size limit for one value)")


def _too_wide(limits: Limits, width: Any, what: str) -> LimitExceeded:
    return LimitExceeded("width", f"asks for a width of {width:,} in {what}; the limit is "
                                  f"{limits.width:,}")


def _too_deep(limits: Limits) -> LimitExceeded:
    return LimitExceeded("nesting", f"would build lists nested more than {limits.depth} deep")


def _too_many(limits: Limits, count: int, what: str) -> LimitExceeded:
    return LimitExceeded("items", f"would make {what} of {count:,} items; the limit is "
                                  f"{limits.items:,}")


class LimitedEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox letters are rendered in, refusing operations that would break `limits`.

    Immutable: a template cannot change a list or dict (`append`, `update`, `pop`, ...), so a
    list cannot grow while it is looped over. Render with `render_limited` to have the time,
    output and work limits too; a plain `template.render()` still refuses each oversized
    operation, but has no clock and no running totals. Compiling (`from_string`) is limited to
    `limits.seconds`, and a template nested too deeply for Python to compile raises
    LimitExceeded("nesting") rather than RecursionError or SyntaxError.
    """

    intercepted_binops = frozenset({"+", "*", "%", "**"})
    code_generator_class = LimitedCodeGenerator

    def __init__(self, limits: Limits | None = None, **options: Any):
        if "finalize" in options or options.get("enable_async"):
            raise TypeError("LimitedEnvironment sets finalize itself, and does not render async")
        options.setdefault("undefined", StrictUndefined)
        options.setdefault("autoescape", True)
        options.setdefault("keep_trailing_newline", True)
        self.limits = limits or Limits()
        super().__init__(finalize=self._limits_finalize, **options)
        self.globals["range"] = self._limits_range
        self.globals["lipsum"] = self._limits_lipsum
        self.filters = {name: _limited_filter(self, name, f) for name, f in self.filters.items()}

    # -- the running limits

    def _now(self) -> tuple[Limits, Allowance | None]:
        allowance = _ALLOWANCE.get()
        return (allowance.limits if allowance is not None else self.limits), allowance

    def _size(self, value: Any) -> int:
        """The size of `value` (see the module docstring), refusing one over the value limit."""
        return self._measure(value)[0]

    def _measure(self, value: Any) -> tuple[int, int]:
        """The size of `value` and how deep its lists nest, refusing one over the value or
        nesting limit. (CPython hashes a tuple of tuples by recursing in C with no guard: hashing
        one nested 100,000 deep crashes the process.)"""
        if not _is_container(value):
            return _leaf_size(value), 0
        flat = _flat_size(value)  # the common case, quickly
        if flat is not None:
            return flat, 1
        limits, allowance = self._now()
        memo = allowance._sizes if allowance is not None else {}
        hit = memo.get(id(value))
        if hit is not None:
            return hit[1], hit[2]
        # Children first, without recursion (context data is not limited in depth). A
        # container met again while it is being measured (a namespace holding itself) counts 16:
        # printing it shows "...". Namespaces can change, so they and what holds them are not
        # remembered after this walk.
        stack, open_, changeable, steps = [value], set(), set(), 0
        try:
            while stack:
                node = stack[-1]
                key = id(node)
                if key in memo:
                    stack.pop()
                    continue
                steps += 1
                if allowance is not None and not steps & 4095:
                    allowance.tick()
                if key not in open_:
                    open_.add(key)
                    stack.extend(child for child in _members(node)
                                 if _is_container(child) and id(child) not in memo
                                 and id(child) not in open_ and _flat_size(child) is None)
                    continue
                stack.pop()
                open_.discard(key)
                total, depth = _HEAD, 0
                for child in _members(node):
                    if not _is_container(child):
                        total += 8 + _leaf_size(child)
                        continue
                    known = memo.get(id(child))
                    if known is None:
                        flat = _flat_size(child)
                        if flat is not None:
                            total, depth = total + 8 + flat, max(depth, 1)
                        else:  # met in a cycle
                            total += 16
                        continue
                    total, depth = total + 8 + known[1], max(depth, known[2])
                    if id(child) in changeable:
                        changeable.add(key)
                if type(node) is Namespace:
                    changeable.add(key)
                else:
                    depth += 1
                memo[key] = (node, total, depth)
                if total > limits.value_chars:
                    raise _too_big(limits, total, "a list or mapping")
                if depth > limits.depth:
                    raise _too_deep(limits)
            return memo[id(value)][1], memo[id(value)][2]
        finally:
            for k in changeable:
                memo.pop(k, None)

    def _str_bound(self, value: Any, escaping: bool = False) -> int:
        """An upper bound on the length of str(value), escaped if `escaping`."""
        if isinstance(value, str):
            return _escaped_len(value) if escaping else len(value)
        if isinstance(value, (bytes, bytearray)):
            return 4 * len(value) + 3
        if isinstance(value, int):
            return _leaf_size(value) + 1
        if isinstance(value, float):
            return 32
        if _is_container(value):
            # repr can write a character as "\U000e0001" (10), escaping as "&#39;" (5), not both.
            return 10 * self._size(value)
        return 64

    def _check_value(self, size: int, what: str) -> None:
        limits, _ = self._now()
        if size > limits.value_chars:
            raise _too_big(limits, size, what)

    def _check_width(self, width: Any, what: str) -> None:
        limits, _ = self._now()
        if isinstance(width, int) and width > limits.width:
            raise _too_wide(limits, width, what)

    def _built(self, value: Any, measure: bool = True,
               known: tuple[int, int] | None = None) -> Any:
        """A value a template just built: refused if over the value limit, else charged.

        A list, tuple or dict is measured whole (what it holds, counted each time it is held,
        and how deep it nests) unless `measure` is false, for the results of Jinja's filters:
        they only rearrange what they are given, which was measured when it was built, or pad it
        under a check of their own. `known` is its (size, depth) if already worked out: it is
        remembered, so that the container is not walked again."""
        if isinstance(value, (str, bytes, bytearray)):
            size = len(value)
        elif _is_container(value):
            if known is not None:
                _, allowance = self._now()
                if allowance is not None and type(value) in (list, tuple):
                    allowance._sizes[id(value)] = (value, *known)
            elif measure:
                self._measure(value)
            # Charged: what it newly holds; what it holds was charged when it was made.
            size = 8 * len(value) + _HEAD if type(value) is not Namespace else _HEAD
        else:
            return value
        limits, allowance = self._now()
        if size > limits.value_chars:
            raise _too_big(limits, size, "a piece of text")
        if allowance is not None:
            allowance.charge(size)
        return value

    def _materialize(self, value: Any, what: str, text_to_list: bool = True) -> Any:
        """`value` as a list, if it is a lazy iterable, built under the value limit. Text is
        left as it is, checked as the list of characters C code will make of it."""
        if isinstance(value, str):
            if text_to_list:
                self._check_value(9 * len(value) + _HEAD, f"a list of the characters of {what}")
            return value
        if isinstance(value, (list, tuple, dict, set, frozenset, range, Undefined)) or \
                not isinstance(value, Iterable):
            return value
        limits, allowance = self._now()
        items, size, depth = [], _HEAD, 0
        for item in value:
            if _is_container(item):
                item_size, item_depth = self._measure(item)
                size, depth = size + 8 + item_size, max(depth, item_depth)
            else:
                size += 8 + _leaf_size(item)
            if size > limits.value_chars:
                raise _too_big(limits, size, what)
            items.append(item)
            if allowance is not None and not len(items) & 4095:
                allowance.tick()
        if depth >= limits.depth:
            raise _too_deep(limits)
        if allowance is not None:
            allowance.charge(size)
            allowance._sizes[id(items)] = (items, size, depth + 1)
        return items

    # -- hooks called from compiled templates (see LimitedCodeGenerator)

    def _limits_finalize(self, value: Any) -> Any:
        """Every `{{ value }}` before it is escaped: escaping can make text six times longer."""
        if isinstance(value, str):
            if len(value) > 1_000_000:
                self._check_value(_escaped_len(value), "a piece of escaped text")
        elif _is_container(value):
            self._check_value(self._str_bound(value, escaping=True), "the printed form of a list")
        return value

    def _limits_iter(self, iterable: Any) -> Any:
        allowance = _ALLOWANCE.get()
        if allowance is None:
            return iterable
        allowance.tick()
        if isinstance(iterable, Undefined) or (
                isinstance(iterable, (list, tuple, str, dict, range)) and len(iterable) <= 4096):
            return iterable
        return _Ticking(iterable, self, allowance)

    def _limits_star(self, args: Any) -> Any:
        return self._materialize(args, "the *arguments of a call")

    def _limits_buffer(self) -> _Buffer:
        return _Buffer(*self._now())

    def _limits_concat(self, join: Callable[[Any], str], parts: tuple[Any, ...]) -> str:
        # markup_join escapes the other parts when one is markup; str_join never escapes.
        escaping = join is not str_join and any(hasattr(p, "__html__") for p in parts)
        self._check_value(sum(self._str_bound(p, escaping) for p in parts), "text joined with ~")
        return self._built(join(parts))

    def _limits_built(self, value: Any) -> Any:
        return self._built(value)

    def _limits_slice(self, obj: Any, start: Any, stop: Any, step: Any) -> Any:
        return self._built(obj[start:stop:step])

    def concat(self, parts: Iterable[str]) -> str:  # type: ignore[override]
        """Join a buffer (already counted) or a block's output (counted here)."""
        limits, allowance = self._now()
        if isinstance(parts, _Buffer):
            if allowance is not None:
                allowance.charge(parts._size)
            return "".join(parts)
        pieces, size = [], 0
        for piece in parts:
            size += len(piece) + 8
            if size > limits.value_chars:
                raise _too_big(limits, size, "a block's output")
            pieces.append(piece)
        if allowance is not None:
            allowance.charge(size)
        return "".join(pieces)

    # -- globals

    def _limits_range(self, *args: int) -> range:
        numbers = range(*args)
        limits, allowance = self._now()
        try:
            count = len(numbers)
        except OverflowError:
            count = math.inf  # type: ignore[assignment]
        if count > limits.items:
            shown = f"{count:,}" if count != math.inf else "more than 2**63"
            raise LimitExceeded("range", f"asks for range() of {shown} numbers; the limit is "
                                         f"{limits.items:,}")
        return numbers

    def _limits_lipsum(self, n: int = 5, html: bool = True, min: int = 20,
                       max: int = 100) -> str:
        limits, _ = self._now()
        words = n * (max if max > min else min) if n > 0 else 0
        if words > limits.items:
            raise _too_many(limits, words, "lipsum() text")
        return self._built(generate_lorem_ipsum(n, html, min, max))

    # -- the sandbox's own hooks

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        limits, allowance = self._now()
        if allowance is not None:
            allowance.tick()
        known = None  # (size, depth) of a list or tuple result, worked out beforehand
        if operator == "*":
            known = self._check_multiply(limits, left, right)
        elif operator == "+":
            known = self._check_add(limits, left, right)
        elif operator == "%":
            if isinstance(left, (str, bytes)):
                self._check_percent(left, right, "a %-format")
        elif operator == "**":
            self._check_power(limits, left, right)
        result = self.binop_table[operator](left, right)
        if isinstance(result, (str, bytes, list, tuple)):
            return self._built(result, known=known)
        return result

    def _check_multiply(self, limits: Limits, left: Any, right: Any) -> tuple[int, int] | None:
        if isinstance(left, int) and not isinstance(right, (int, float)):
            left, right = right, left
        if isinstance(left, int) and isinstance(right, int):
            digits = (left.bit_length() + right.bit_length()) * 3 // 10
            if digits > limits.int_digits:
                raise _too_many_digits(limits, digits)
        elif isinstance(right, int) and right > 0:
            if isinstance(left, (list, tuple)):
                if len(left) * right > limits.items:
                    raise _too_many(limits, len(left) * right, "a repeated list")
                size, depth = self._measure(left)
                size = _HEAD + (size - _HEAD) * right
                self._check_value(size, "a repeated list")
                return size, depth
            if isinstance(left, (str, bytes)):
                self._check_value(len(left) * right, "repeated text")
        return None

    def _check_add(self, limits: Limits, left: Any, right: Any) -> tuple[int, int] | None:
        if isinstance(left, int) and isinstance(right, int):
            digits = max(left.bit_length(), right.bit_length()) * 3 // 10
            if digits > limits.int_digits:
                raise _too_many_digits(limits, digits)
        elif isinstance(left, str) and isinstance(right, str):
            escaping = hasattr(left, "__html__") or hasattr(right, "__html__")
            self._check_value(self._str_bound(left, escaping) + self._str_bound(right, escaping),
                              "text joined with +")
        elif isinstance(left, (list, tuple)) and isinstance(right, (list, tuple)):
            count = len(left) + len(right)
            if count > limits.items:
                raise _too_many(limits, count, "a list joined with +")
            (size, depth), (more, deeper) = self._measure(left), self._measure(right)
            size += more - _HEAD
            self._check_value(size, "a list joined with +")
            return size, max(depth, deeper)
        elif isinstance(left, (bytes, bytearray)) and isinstance(right, (bytes, bytearray)):
            self._check_value(len(left) + len(right), "bytes joined with +")
        return None

    def _check_power(self, limits: Limits, base: Any, exponent: Any) -> None:
        if isinstance(base, int) and isinstance(exponent, int) and exponent > 1 and abs(base) > 1:
            digits = exponent * math.log10(abs(base))
            if digits > limits.int_digits:
                raise _too_many_digits(limits, digits)

    def _check_percent(self, template: str | bytes, args: Any, what: str) -> None:
        """Refuse a %-format whose widths or result would be too big, before formatting."""
        limits, _ = self._now()
        text = template.decode("latin-1") if isinstance(template, bytes) else template
        escaping = hasattr(template, "__html__")
        positional = args if isinstance(args, tuple) else (args,)
        mapping = args if isinstance(args, Mapping) else None
        total, index, i, n = 0, 0, 0, len(text)
        while True:
            j = text.find("%", i)
            if j < 0 or j + 1 >= n:
                total += n - i
                break
            total += j - i
            k, value, keyed = j + 1, None, False
            if text[k] == "(":  # a mapping key, nested parentheses allowed as in CPython
                depth, start = 1, k + 1
                k += 1
                while k < n and depth:
                    depth += {"(": 1, ")": -1}.get(text[k], 0)
                    k += 1
                keyed = True
                if mapping is not None:
                    value = mapping.get(text[start:k - 1])
            while k < n and text[k] in "-+ #0":
                k += 1
            numbers = []
            for leading in ("", "."):
                if leading:
                    if k >= n or text[k] != ".":
                        break
                    k += 1
                if k < n and text[k] == "*":
                    star = positional[index] if index < len(positional) else 0
                    numbers.append(star if isinstance(star, int) else 0)
                    index, k = index + 1, k + 1
                else:
                    start = k
                    while k < n and text[k] in "0123456789":
                        k += 1
                    numbers.append(int(text[start:k]) if k > start else 0)
            while k < n and text[k] in "hlL":
                k += 1
            conversion = text[k] if k < n else ""
            k += 1
            for number in numbers:
                self._check_width(number, what)
            if conversion != "%" and not keyed:
                value = positional[index] if index < len(positional) else None
                index += 1
            size = self._str_bound(value, escaping) if conversion != "%" else 1
            if isinstance(value, float):
                size += 320  # '%f' % 1e308 has 309 digits
            total += max([size + sum(numbers[1:]), *numbers])
            i = k
        self._check_value(total, what)

    def call(self, context: Any, obj: Any, /, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        limits, allowance = self._now()
        if allowance is not None:
            allowance.tick()
        if not self.is_safe_callable(obj):
            raise SecurityError(f"{obj!r} is not safely callable")
        owner = getattr(obj, "__self__", None)
        name = getattr(obj, "__name__", None)
        if isinstance(owner, (str, bytes, bytearray)):
            check = _METHOD_CHECKS.get(name)  # type: ignore[arg-type]
            if check is not None:
                args = check(self, owner, args, kwargs) or args
        elif isinstance(owner, int) and name == "to_bytes":
            length = args[0] if args else kwargs.get("length", 1)
            if isinstance(length, int):
                self._check_value(length, "bytes")
        elif owner is Markup and name == "escape" and args and isinstance(args[0], str):
            self._check_value(_escaped_len(args[0]), "a piece of escaped text")
        elif obj is dict or obj is Namespace or (
                name == "fromkeys" and (owner is dict or isinstance(owner, dict))):
            args = tuple(self._materialize(a, "a mapping") for a in args)
        if not isinstance(obj, (Macro, LoopContext, BlockReference)):
            return self._built(context.call(obj, *args, **kwargs))
        if allowance is not None:
            if allowance.depth >= limits.depth:
                raise LimitExceeded("nesting", f"calls macros, recursive loops or blocks more "
                                               f"than {limits.depth} deep")
            allowance.depth += 1
        try:
            if isinstance(obj, BlockReference):
                result = self._render_block(obj)
            else:
                result = context.call(obj, *args, **kwargs)
        finally:
            if allowance is not None:
                allowance.depth -= 1
        return self._built(result)

    def _render_block(self, block: BlockReference) -> str:
        """`self.name()`: Jinja's BlockReference.__call__, with the block's output counted."""
        try:
            render = block._stack[block._depth]
            context = block._context
        except AttributeError:  # pragma: no cover - a Jinja that lays BlockReference out anew
            raise SecurityError("calling a block is not supported") from None
        text = self.concat(render(context))
        return Markup(text) if context.eval_ctx.autoescape else text

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """Jinja's sandboxed str.format, with field widths and the result limited."""
        if not isinstance(value, (types.MethodType, types.BuiltinMethodType)) or \
                value.__name__ not in ("format", "format_map"):
            return None
        f_self = value.__self__
        if not isinstance(f_self, str):
            return None
        str_type = type(f_self)
        is_format_map = value.__name__ == "format_map"
        formatter: _LimitedFormatter
        if isinstance(f_self, Markup):
            formatter = _LimitedEscapeFormatter(self, escape=f_self.escape)
        else:
            formatter = _LimitedFormatter(self)

        def wrapper(*args: Any, **kwargs: Any) -> str:
            if is_format_map:
                if kwargs:
                    raise TypeError("format_map() takes no keyword arguments")
                if len(args) != 1:
                    raise TypeError(f"format_map() takes exactly one argument ({len(args)} given)")
                kwargs = args[0]
                args = ()
            formatter.size = len(f_self)
            return str_type(formatter.vformat(f_self, args, kwargs))

        return update_wrapper(wrapper, value)

    # -- compiling

    def compile(self, source: Any, name: str | None = None, filename: str | None = None,  # type: ignore[override]
                raw: bool = False, defer_init: bool = False) -> Any:
        allowance = _ALLOWANCE.get() or Allowance(self.limits)
        token = _ALLOWANCE.set(allowance)
        try:
            return _with_alarm(allowance, lambda: super(LimitedEnvironment, self).compile(
                source, name, filename, raw, defer_init))
        except RecursionError:
            raise LimitExceeded("nesting", "nests tags or expressions too deeply to be "
                                           "compiled") from None
        except SyntaxError as exc:  # Python's own limits on nesting, not TemplateSyntaxError
            raise LimitExceeded("nesting", f"nests tags too deeply to be compiled "
                                           f"({exc.msg})") from None
        finally:
            _ALLOWANCE.reset(token)


def _too_many_digits(limits: Limits, digits: float) -> LimitExceeded:
    return LimitExceeded("number size", f"would compute a number of about {int(digits):,} "
                                        f"digits; the limit is {limits.int_digits:,}")


class _LimitedFormatter(SandboxedFormatter):
    """str.format in the sandbox, refusing wide fields and counting what it writes."""

    size = 0

    def format_field(self, value: Any, format_spec: str) -> Any:
        env: LimitedEnvironment = self._env  # type: ignore[assignment]
        digits = "".join(c if c in "0123456789" else " " for c in format_spec).split()
        for number in digits:
            env._check_width(int(number), "a {} format")
        self.size += max([env._str_bound(value), *map(int, digits)])
        env._check_value(self.size, "a formatted string")
        return super().format_field(value, format_spec)


class _LimitedEscapeFormatter(_LimitedFormatter, SandboxedEscapeFormatter):
    pass


# --- str and bytes methods that can make much more than they are given -------------------------

def _arg(args: tuple, kwargs: dict, index: int, name: str, default: Any) -> Any:
    return args[index] if len(args) > index else kwargs.get(name, default)


def _pad(env: LimitedEnvironment, owner: Any, args: tuple, kwargs: dict) -> None:
    env._check_width(_arg(args, kwargs, 0, "width", 0), "text padding")


def _expandtabs(env: LimitedEnvironment, owner: Any, args: tuple, kwargs: dict) -> None:
    size = _arg(args, kwargs, 0, "tabsize", 8)
    env._check_width(size, "expandtabs()")
    if isinstance(size, int) and size > 0:
        tab = "\t" if isinstance(owner, str) else b"\t"
        env._check_value(len(owner) + owner.count(tab) * size, "text with tabs expanded")


def _replace(env: LimitedEnvironment, owner: Any, args: tuple, kwargs: dict) -> None:
    if len(args) < 2:
        return
    old, new = args[0], args[1]
    count = _arg(args, kwargs, 2, "count", -1)
    if not isinstance(old, (str, bytes)) or not isinstance(new, (str, bytes)):
        return
    escaping = hasattr(owner, "__html__")  # Markup.replace escapes `old` and `new`
    if escaping and isinstance(old, str):
        old = Markup.escape(old)
    try:
        found = owner.count(old) if old else len(owner) + 1
    except TypeError:  # str and bytes mixed: replace() will say so
        return
    if isinstance(count, int) and count >= 0:
        found = min(found, count)
    new_len = env._str_bound(new, escaping) if isinstance(new, str) else len(new)
    env._check_value(len(owner) + found * max(0, new_len - len(old)), "text after replace()")


def _join(env: LimitedEnvironment, owner: Any, args: tuple, kwargs: dict) -> tuple | None:
    if not args:
        return None
    items = env._materialize(args[0], "the items to join")
    if isinstance(items, str):
        count, size = len(items), len(items)
    else:
        escaping = hasattr(owner, "__html__")
        count = len(items) if hasattr(items, "__len__") else 0
        size = sum(env._str_bound(item, escaping) for item in items)
    env._check_value(size + len(owner) * max(count - 1, 0), "joined text")
    return (items, *args[1:])


def _translate(env: LimitedEnvironment, owner: Any, args: tuple, kwargs: dict) -> None:
    if not args or not isinstance(owner, str):
        return
    table = args[0]
    if isinstance(table, Mapping):
        outputs: Iterable[Any] = table.values()
    elif isinstance(table, (list, tuple)):
        outputs = table
    elif isinstance(table, str):
        outputs = ()
    else:
        raise LimitExceeded("value size", "calls translate() with a table whose output cannot "
                                          "be measured")
    longest = max((len(o) for o in outputs if isinstance(o, str)), default=1)
    env._check_value(len(owner) * max(longest, 1), "translated text")


def _encode(env: LimitedEnvironment, owner: Any, args: tuple, kwargs: dict) -> None:
    errors = _arg(args, kwargs, 1, "errors", "strict")
    factor = 4 if errors in ("strict", "ignore", "replace", "surrogateescape", "surrogatepass") \
        else 80  # "namereplace" writes a character's whole name
    env._check_value(len(owner) * factor, "encoded text")


def _split(env: LimitedEnvironment, owner: Any, args: tuple, kwargs: dict) -> None:
    sep = _arg(args, kwargs, 0, "sep", None)
    count = owner.count(sep) + 1 if sep else len(owner) // 2 + 1
    maxsplit = _arg(args, kwargs, 1, "maxsplit", -1)
    if isinstance(maxsplit, int) and maxsplit >= 0:
        count = min(count, maxsplit + 1)
    env._check_value(_HEAD + 8 * count + len(owner), "a list of pieces of text")


def _splitlines(env: LimitedEnvironment, owner: Any, args: tuple, kwargs: dict) -> None:
    if isinstance(owner, str):
        count = owner.count("\n") + sum(owner.count(c) for c in _MULTIPLE_LINE_BREAKS) + 1
    else:
        count = owner.count(b"\n") + owner.count(b"\r") + 1
    env._check_value(_HEAD + 8 * count + len(owner), "a list of lines")


def _case(env: LimitedEnvironment, owner: Any, args: tuple, kwargs: dict) -> None:
    if isinstance(owner, str):
        env._check_value(_ascii_or_triple(owner), "text in another case")


_METHOD_CHECKS: dict[str, Callable[..., tuple | None]] = {
    "center": _pad, "ljust": _pad, "rjust": _pad, "zfill": _pad, "expandtabs": _expandtabs,
    "replace": _replace, "join": _join, "translate": _translate, "encode": _encode,
    "split": _split, "rsplit": _split, "splitlines": _splitlines, "upper": _case,
    "lower": _case, "title": _case, "capitalize": _case, "swapcase": _case, "casefold": _case,
}


# --- filters -------------------------------------------------------------------------------------

# Filters that gather their first argument in C (list(), sorted(), sum(), a set of the items
# seen): a lazy iterable is materialised first, under the value limit.
_MATERIALIZING = {"list", "sort", "join", "sum", "groupby", "slice", "reverse", "unique"}
# ... of which these also make a list of the characters of a text.
_TEXT_TO_LIST = {"list", "sort", "join", "groupby", "slice"}


def _f_center(env: LimitedEnvironment, pass_arg: tuple, args: tuple, kwargs: dict) -> None:
    env._check_width(_arg(args, kwargs, 1, "width", 80), "center")


def _f_indent(env: LimitedEnvironment, pass_arg: tuple, args: tuple, kwargs: dict) -> None:
    text, width = args[0], _arg(args, kwargs, 1, "width", 4)
    if isinstance(width, str):
        width = len(width)
    env._check_width(width, "indent")
    if isinstance(text, str) and isinstance(width, int):
        lines = text.count("\n") + sum(text.count(c) for c in _MULTIPLE_LINE_BREAKS) + 1
        env._check_value(len(text) + lines * max(width, 0), "indented text")


def _html(value: Any) -> bool:
    return hasattr(value, "__html__")


def _f_join(env: LimitedEnvironment, pass_arg: tuple, args: tuple, kwargs: dict) -> None:
    items, sep = args[0], _arg(args, kwargs, 1, "d", "")
    attribute = _arg(args, kwargs, 2, "attribute", None)
    autoescape = pass_arg[0].autoescape
    # Jinja's join escapes the items and separator only when one of them is markup.
    if isinstance(items, str):  # joins its characters
        count, escaping = len(items), autoescape and _html(sep)
        size = env._str_bound(items, escaping)
    elif isinstance(items, Iterable):
        if attribute is not None:
            get = make_attrgetter(env, attribute)
            items = [get(item) for item in items]
        escaping = autoescape and (_html(sep) or any(_html(item) for item in items))
        count = len(items) if hasattr(items, "__len__") else 0
        size = sum(env._str_bound(item, escaping) for item in items)
    else:
        return
    env._check_value(size + env._str_bound(sep, escaping) * max(count - 1, 0), "joined text")


def _f_replace(env: LimitedEnvironment, pass_arg: tuple, args: tuple, kwargs: dict) -> None:
    if len(args) < 3:
        return
    text, old, new = args[0], args[1], args[2]
    count = _arg(args, kwargs, 3, "count", None)
    # As Jinja's replace: the text is escaped first if `old` (or `new`, for plain text) is
    # markup; a markup text escapes `old` and `new` as it replaces.
    autoescape = pass_arg[0].autoescape
    escape_text = autoescape and (_html(old) or (_html(new) and not _html(text)))
    markup = autoescape and (escape_text or _html(text))
    base = env._str_bound(text, escape_text)
    old_text = Markup.escape(old) if markup else str(old)
    if isinstance(text, str) and not escape_text:
        found = text.count(old_text) if old_text else len(text) + 1
    else:
        found = base // max(len(old_text), 1) + 1
    if isinstance(count, int) and count >= 0:
        found = min(found, count)
    grow = max(0, env._str_bound(new if isinstance(new, str) else str(new), markup)
               - len(old_text))
    env._check_value(base + found * grow, "text after replace")


def _f_wordwrap(env: LimitedEnvironment, pass_arg: tuple, args: tuple, kwargs: dict) -> None:
    text = args[0]
    wrapstring = _arg(args, kwargs, 3, "wrapstring", None) or env.newline_sequence
    if isinstance(text, str):
        env._check_value(len(text) + (len(text) + 1) * len(str(wrapstring)), "wrapped text")


def _f_urlize(env: LimitedEnvironment, pass_arg: tuple, args: tuple, kwargs: dict) -> None:
    text = args[0]
    if not isinstance(text, str):
        return
    extra = sum(len(str(_arg(args, kwargs, i, name, None) or ""))
                for i, name in ((3, "target"), (4, "rel")))
    links = text.count(".") + text.count("@") + text.count(":")
    env._check_value(12 * len(text) + links * (80 + 6 * extra), "text with links")


def _f_format(env: LimitedEnvironment, pass_arg: tuple, args: tuple, kwargs: dict) -> None:
    if args and isinstance(args[0], str):
        env._check_percent(args[0], kwargs or tuple(args[1:]), "the format filter")


def _f_sum(env: LimitedEnvironment, pass_arg: tuple, args: tuple, kwargs: dict) -> None:
    items, start = args[0], _arg(args, kwargs, 2, "start", 0)
    attribute = _arg(args, kwargs, 1, "attribute", None)
    if not isinstance(items, (list, tuple)):
        return
    if attribute is not None:
        get = make_attrgetter(env, attribute)
        items = [get(item) for item in items]
    if any(isinstance(v, (str, bytes, list, tuple)) for v in (start, *items)):
        limits, _ = env._now()
        if isinstance(start, (list, tuple)):
            count = len(start) + sum(len(v) for v in items if isinstance(v, (list, tuple)))
            if count > limits.items:
                raise _too_many(limits, count, "a sum of lists")
        env._check_value(sum(env._size(v) for v in (start, *items)), "a sum of lists")


def _f_fill(index: int, name: str, what: str) -> Callable[..., None]:
    def check(env: LimitedEnvironment, pass_arg: tuple, args: tuple, kwargs: dict) -> None:
        count = _arg(args, kwargs, index, name, 0)
        limits, _ = env._now()
        fill = _arg(args, kwargs, index + 1, "fill_with", None)
        if isinstance(count, int):  # batch collects `count` items before it yields any
            if count > limits.items:
                raise _too_many(limits, count, what)
            if fill is not None:
                env._check_value(count * (8 + env._size(fill)), what)
    return check


def _f_escape(env: LimitedEnvironment, pass_arg: tuple, args: tuple, kwargs: dict) -> None:
    if args:
        env._check_value(env._str_bound(args[0], escaping=True), "a piece of escaped text")


def _f_string(env: LimitedEnvironment, pass_arg: tuple, args: tuple, kwargs: dict) -> None:
    if args and not isinstance(args[0], str):
        env._check_value(env._str_bound(args[0]), "the printed form of a value")


def _f_case(env: LimitedEnvironment, pass_arg: tuple, args: tuple, kwargs: dict) -> None:
    if args and isinstance(args[0], str):
        env._check_value(_ascii_or_triple(args[0]), "text in another case")
    elif args:
        _f_string(env, pass_arg, args, kwargs)


def _f_urlencode(env: LimitedEnvironment, pass_arg: tuple, args: tuple, kwargs: dict) -> None:
    if args:  # a character is up to 4 bytes of UTF-8, each written as %XX
        env._check_value(12 * env._str_bound(args[0]), "URL-encoded text")


def _f_xmlattr(env: LimitedEnvironment, pass_arg: tuple, args: tuple, kwargs: dict) -> None:
    if args:
        env._check_value(6 * env._str_bound(args[0]), "XML attributes")


def _f_tojson(env: LimitedEnvironment, pass_arg: tuple, args: tuple, kwargs: dict) -> None:
    value, indent = args[0], _arg(args, kwargs, 1, "indent", None)
    if isinstance(indent, str):
        env._check_width(len(indent), "tojson's indent")
    else:
        env._check_width(indent, "tojson's indent")
    # ensure_ascii writes an emoji as "\ud83d\ude00": 12 characters for one.
    env._check_value(12 * env._str_bound(value), "JSON")
    if indent:  # indentation grows with depth: write it once, counting, before Jinja does
        limits, allowance = env._now()
        options = dict(env.policies.get("json.dumps_kwargs") or {})
        options["indent"] = indent
        written = 0
        for count, chunk in enumerate(json.JSONEncoder(**options).iterencode(value), 1):
            written += 6 * len(chunk)  # "<" becomes "\u003c" afterwards
            if written > limits.value_chars:
                raise _too_big(limits, written, "JSON")
            if allowance is not None and not count & 4095:
                allowance.tick()


class _CountingText(io.StringIO):
    def __init__(self, env: LimitedEnvironment):
        super().__init__()
        self._env, self._written = env, 0

    def write(self, text: str) -> int:
        self._written += len(text)
        self._env._check_value(self._written, "a pretty-printed value")
        return super().write(text)


def _counting_pprint(env: LimitedEnvironment) -> Callable[[Any], str]:
    def do_pprint(value: Any) -> str:
        """pformat(value), written through a stream that stops at the value limit."""
        env._check_value(env._str_bound(value), "a pretty-printed value")
        out = _CountingText(env)
        pprint.PrettyPrinter(stream=out).pprint(value)
        return out.getvalue()[:-1]
    return do_pprint


_FILTER_CHECKS: dict[str, Callable[..., None]] = {
    "center": _f_center, "indent": _f_indent, "join": _f_join, "replace": _f_replace,
    "wordwrap": _f_wordwrap, "urlize": _f_urlize, "format": _f_format, "sum": _f_sum,
    "batch": _f_fill(1, "linecount", "a batch"),
    "slice": _f_fill(1, "slices", "slices of a list"),
    "escape": _f_escape, "e": _f_escape, "forceescape": _f_escape, "string": _f_string,
    "upper": _f_case, "lower": _f_case, "title": _f_case, "capitalize": _f_case,
    "urlencode": _f_urlencode, "xmlattr": _f_xmlattr, "tojson": _f_tojson,
    "trim": _f_string, "striptags": _f_string, "wordcount": _f_string, "truncate": _f_string,
}


def _limited_filter(env: LimitedEnvironment, name: str, func: Callable[..., Any]) -> Callable:
    """`func` with its arguments checked before and its result measured after."""
    if name == "pprint":
        func = _counting_pprint(env)
    skip = 1 if getattr(func, "jinja_pass_arg", None) is not None else 0
    check = _FILTER_CHECKS.get(name)
    materialize, text_to_list = name in _MATERIALIZING, name in _TEXT_TO_LIST

    def limited(*args: Any, **kwargs: Any) -> Any:
        allowance = _ALLOWANCE.get()
        if allowance is not None:
            allowance.tick()
        if materialize and len(args) > skip:
            args = (*args[:skip], env._materialize(args[skip], f"the {name} filter's input",
                                                   text_to_list), *args[skip + 1:])
        if check is not None and len(args) > skip:
            check(env, args[:skip], args[skip:], kwargs)
        return env._built(func(*args, **kwargs), measure=False)

    update_wrapper(limited, func)
    return limited


# --- rendering -----------------------------------------------------------------------------------


def _alarm_usable() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


def _with_alarm(allowance: Allowance, work: Callable[[], Any]) -> Any:
    """Run `work` with SIGALRM set to interrupt it at the allowance's deadline (main thread only;
    elsewhere the checks at each operation keep the time). Whatever handler and timer were set
    before are put back afterwards, and a timer of theirs that falls due meanwhile is honoured."""
    if not _alarm_usable():
        return work()
    previous = signal.getsignal(signal.SIGALRM)
    if previous is None:  # installed outside Python: leave it alone
        return work()
    theirs_delay, theirs_interval = signal.getitimer(signal.ITIMER_REAL)
    state = {"armed": True,
             "theirs_due": time.monotonic() + theirs_delay if theirs_delay else None}

    def arm() -> None:
        now = time.monotonic()
        due = allowance.deadline if state["theirs_due"] is None else \
            min(allowance.deadline, state["theirs_due"])
        signal.setitimer(signal.ITIMER_REAL, max(due - now, 1e-6))

    def on_alarm(signum: int, frame: Any) -> None:
        if not state["armed"]:
            return
        now = time.monotonic()
        theirs_due = state["theirs_due"]
        if theirs_due is not None and theirs_due <= now and theirs_due < allowance.deadline:
            # Their timer's turn: do what their handler would have done.
            state["theirs_due"] = theirs_due + theirs_interval if theirs_interval else None
            if callable(previous):
                previous(signum, frame)
            elif previous == signal.SIG_DFL:
                signal.signal(signal.SIGALRM, signal.SIG_DFL)
                signal.raise_signal(signal.SIGALRM)
            arm()
            return
        if now < allowance.deadline:  # early (clock granularity): wait for the rest
            arm()
            return
        # Ours. Fire again shortly in case something between here and render_limited swallows
        # the exception (Jinja's compile-time folding catches every Exception).
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        raise _out_of_time(allowance.limits)

    try:
        signal.signal(signal.SIGALRM, on_alarm)
    except (ValueError, OSError):  # signals unavailable here after all: the checks keep time
        return work()
    try:
        try:
            arm()
            return work()
        finally:
            state["armed"] = False
            signal.setitimer(signal.ITIMER_REAL, 0)
    finally:
        # Separate from the block above, so an alarm raised while that block runs cannot skip it.
        signal.signal(signal.SIGALRM, previous)
        if state["theirs_due"] is not None:
            signal.setitimer(signal.ITIMER_REAL, max(state["theirs_due"] - time.monotonic(), 1e-6),
                             theirs_interval)


def _collect(chunks: Iterator[str], allowance: Allowance) -> str:
    limits = allowance.limits
    room = limits.output_chars - allowance.output
    done: list[str] = []  # joined every 4096 chunks, so a million tiny ones hold no pointers
    pending: list[str] = []
    size = 0
    tick = allowance.tick
    try:
        for chunk in chunks:
            size += len(chunk)
            if size > room:
                raise LimitExceeded(
                    "output size", f"would make a letter over {limits.output_chars:,} "
                                   "characters of Word XML (the size limit for one letter)")
            pending.append(chunk)
            if len(pending) >= 4096:
                tick()
                done.append("".join(pending))
                pending.clear()
        tick()
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    allowance.output += size
    done.append("".join(pending))
    return "".join(done)


def _render(template: Template, context: dict, allowance: Allowance) -> str:
    """Template.render, collecting the output under the limits (as Template.generate would, one
    wrapper fewer)."""
    chunks = template.root_render_func(template.new_context(dict(context)))
    try:
        return _collect(chunks, allowance)
    except Exception:
        template.environment.handle_exception()  # raises it again, with template line numbers
        raise  # pragma: no cover - handle_exception always raises


def render_limited(template: Template, context: dict, *, limits: Limits,
                   allowance: Allowance | None = None) -> str:
    """template.render(context), under `limits`: LimitExceeded if the template breaks one.

    `template` must come from a LimitedEnvironment. Pass one `allowance` (made from the same
    limits) to the renders of each part of a letter to make the time and output limits the
    letter's rather than each part's.
    """
    if not isinstance(template.environment, LimitedEnvironment):
        raise TypeError("render_limited needs a template compiled by a LimitedEnvironment")
    if allowance is None:
        allowance = Allowance(limits)
    elif allowance.limits != limits:
        raise ValueError("the allowance was made for other limits")
    token = _ALLOWANCE.set(allowance)
    try:
        allowance.tick()
        return _with_alarm(allowance, lambda: _render(template, context, allowance))
    finally:
        _ALLOWANCE.reset(token)
