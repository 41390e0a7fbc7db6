"""The Jinja2 environments the worksheets render with, and the filters that keep user text out of markup."""

import base64

_envs = {}


def typst_string(value) -> str:
    """Any text as a Typst string literal: user text never becomes markup or code."""
    text = str(value)
    out = ['"']
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 32 or ord(ch) == 127:
            out.append(f"\\u{{{ord(ch):x}}}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def pt(x) -> str:
    return f"{float(x):.2f}pt"


def data_uri(picture) -> str:
    """A picture as a data: URI (HTML's filter): made only when a page is rendered, never held for all."""
    return "data:image/svg+xml;base64," + base64.b64encode(picture.data).decode("ascii")


def environment(kind: str):
    """The Jinja2 environment for "typst" (<< >>, <% %>, <# #>: Typst's own # and { } stay free), "html" or "text"."""
    if kind not in _envs:
        import jinja2

        from ..resources import templates_dir

        loader = jinja2.FileSystemLoader(str(templates_dir()))
        if kind == "typst":
            env = jinja2.Environment(
                loader=loader, undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True,
                block_start_string="<%", block_end_string="%>", variable_start_string="<<", variable_end_string=">>",
                comment_start_string="<#", comment_end_string="#>", trim_blocks=True, lstrip_blocks=True,
            )
            env.filters["str"] = typst_string
            env.filters["pt"] = pt
        else:  # html (autoescaped) or plain text
            env = jinja2.Environment(loader=loader, undefined=jinja2.StrictUndefined, autoescape=kind == "html",
                                     trim_blocks=True, lstrip_blocks=True)
            env.filters["pt"] = pt
            env.filters["data_uri"] = data_uri
        _envs[kind] = env
    return _envs[kind]


def render_template(name: str, context: dict) -> str:
    kind = "typst" if name.endswith(".typ.j2") else "html"
    return environment(kind).get_template(f"worksheet/{name}").render(**context)
