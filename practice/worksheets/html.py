"""The sheets and keys as one self-contained HTML page each, to print from a browser or read on a phone."""

from . import views as views_module
from .files import writing
from .templates import render_template


def write_html(spec, versions, total: int, paper: str, temps, shown) -> float:
    """The sheets and keys as HTML into temps[0] and temps[1], a group of versions at a time: the smallest
    picture text in pt. Each template renders its page's head, a group's versions, or its tail (`part`)."""
    smallest = float("inf")
    frame, _ = views_module.views(spec, [], paper)
    with open(temps[0], "w", encoding="utf-8") as sheet, open(temps[1], "w", encoding="utf-8") as key:
        outputs = list(zip((sheet, key), ("sheet.html.j2", "key.html.j2"), shown))

        def write(context: dict, part: str) -> None:
            for f, template, name in outputs:
                with writing(name):
                    f.write(render_template(template, dict(context, part=part)))
                    if part == "tail":
                        f.flush()

        write(frame, "head")
        for context, _ in views_module.groups(spec, versions, total, paper):
            smallest = min(smallest, views_module.smallest_font(context))
            write(context, "versions")
        write(frame, "tail")
    return smallest
