"""DOT text written directly: the few calls draw.dot_source makes of a graph, each a line of text.

The text is the very text the `graphviz` package's Digraph writes for the same calls (the same quoting,
attributes sorted by name, `label` first, tabs, a subgraph as a braced block), byte for byte, without its
cost: the package quotes every name and value through a decorated function, which was most of the time a
deck spent in Python. The tests build every kind's pictures through both and compare the texts.
"""

import re
from contextlib import contextmanager

_HTML = re.compile(r"<.*>$", re.DOTALL)
_ID = re.compile(r"([a-zA-Z_][a-zA-Z0-9_]*|-?(\.[0-9]+|[0-9]+(\.[0-9]*)?))$")
_KEYWORDS = frozenset({"node", "edge", "graph", "digraph", "subgraph", "strict"})
_QUOTE = re.compile(r'(?P<escaped_backslashes>(?:\\{2})*)\\?(?P<literal_quote>")')


def _quote(text: str) -> str:
    """A DOT identifier from text: an HTML-like string <...> as it is, a plain ID or number as it is, anything
    else in double quotes with each unescaped quote escaped (the graphviz package's rule)."""
    if _HTML.match(text):
        return text
    if not _ID.match(text) or text.lower() in _KEYWORDS:
        return '"' + _QUOTE.sub(r"\g<escaped_backslashes>\\\g<literal_quote>", text) + '"'
    return text


_QUOTED: dict[str, str] = {}
_CACHE_MOST = 50_000


def quote(text: str) -> str:
    if text[:1] == "<" and text[-1:] == ">":  # an HTML-like label (long, and never quoted)
        return text
    q = _QUOTED.get(text)
    if q is None:  # names and values repeat from picture to picture: each quoted once
        q = _quote(text)
        if len(_QUOTED) < _CACHE_MOST:
            _QUOTED[text] = q
    return q


def _edge_end(text: str) -> str:
    if ":" not in text:
        return quote(text)
    node, _, rest = text.partition(":")
    parts = [quote(node)]
    if rest:
        port, _, compass = rest.partition(":")
        parts.append(quote(port))
        if compass:
            parts.append(compass)
    return ":".join(parts)


_ATTRS: dict[tuple, str] = {}


def _attrs(label, attrs: dict) -> str:
    key = tuple(attrs.items())  # the same call with the same values: one sorted, quoted list
    text = _ATTRS.get(key)
    if text is None:
        text = " ".join(f"{quote(k)}={quote(v)}" for k, v in sorted(attrs.items()) if v is not None)
        if len(_ATTRS) < _CACHE_MOST:
            _ATTRS[key] = text
    if label is not None:
        text = f"label={quote(label)} {text}" if text else f"label={quote(label)}"
    return f" [{text}]" if text else ""


class Digraph:
    """A directed graph's DOT text, built by the calls of the graphviz package's Digraph that dot_source uses:
    attr, node, edge, subgraph (as a `with` block) and source; `body` holds the statements' lines, as there."""

    def __init__(self, name: str | None = None, *, _indent: str = "\t"):
        self._name = name
        self._indent = _indent
        self.body: list[str] = []

    def attr(self, kw: str | None = None, **attrs) -> None:
        if kw is None:
            self.body += [f"{self._indent}{quote(k)}={quote(v)}" for k, v in sorted(attrs.items()) if v is not None]
        else:
            self.body.append(f"{self._indent}{kw}{_attrs(None, attrs)}")

    def node(self, name: str, label: str | None = None, **attrs) -> None:
        self.body.append(f"{self._indent}{quote(name)}{_attrs(label, attrs)}")

    def edge(self, tail: str, head: str, label: str | None = None, **attrs) -> None:
        self.body.append(f"{self._indent}{_edge_end(tail)} -> {_edge_end(head)}{_attrs(label, attrs)}")

    @contextmanager
    def subgraph(self):
        sub = Digraph(_indent=self._indent + "\t")
        yield sub
        self.body.append(self._indent + "{")
        self.body += sub.body
        self.body.append(self._indent + "}")

    @property
    def source(self) -> str:
        head = f"digraph {quote(self._name)} {{" if self._name is not None else "digraph {"
        return "\n".join([head, *self.body, "}"]) + "\n"


class same:
    """`with same(graphs) as g:` the statements made on g, the first of `graphs`, copied to the others as lines:
    the parts the pictures of one problem share (its question's and its answers' edges, ops and constants)
    written once. Works for the graphviz package's Digraph too (its `body` is the same list of lines). A class,
    not a generator: a problem opens a few dozen of these, and a generator's context manager costs several times
    as much to open."""

    __slots__ = ("graphs", "start")

    def __init__(self, graphs: list):
        self.graphs = graphs

    def __enter__(self):
        self.start = len(self.graphs[0].body)
        return self.graphs[0]

    def __exit__(self, kind, *_):
        if kind is None:
            first = self.graphs[0]
            for g in self.graphs[1:]:
                g.body += first.body[self.start:]
