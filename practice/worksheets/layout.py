"""Page geometry, in pt: how large each picture prints, how large its blanks are, how tall each problem is, and
which problems share a page of the sheets.

The templates get these sizes (margins, column widths, picture widths, working space), so the sizes chosen here
are the sizes used. Heights are estimates measured on Typst's output: tests/test_worksheet.py checks that every
problem's estimate is at least its typeset height, so problems packed onto a page by estimate fit there.
"""

import re

PAPERS = {"a4": "a4", "letter": "us-letter"}  # our name -> Typst's paper name
PAPER_PT = {"a4": (595.28, 841.89), "letter": (612.0, 792.0)}
MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM = 48.0, 40.0, 52.0
SIDEBAR_PT = 168.0  # given values and answer lines beside a question picture
KEY_SIDE_PT = (190.0, 150.0)  # answers and worked steps beside an answer picture: the width tried first, and least
GUTTER_PT = 14.0
MIN_PRINT_PT = 7.0  # no picture text smaller than this on paper
SHEET_MAX_SCALE = 1.25  # question pictures print up to 12.5 pt text where the page has room
KEY_MAX_SCALE = 0.85  # key pictures need no room to write in
BLANK_PT = (57.0, 20.0)  # a grad blank on paper: about 2 cm x 0.7 cm, room for a handwritten −0.0376
BLANK_SLACK = 1.04  # blanks are drawn this much larger than they need to be, so rounding never leaves them short

# Heights of the parts of a problem (measured on Typst's output; generous).
LINE_PT = 13.8  # a line of body text
CHAR_PT = 5.0  # a character of body text, on average (generous)
MATH_CHAR_PT = 5.6  # a character of an inline statement
HEAD_PT = 30.0  # the problem's heading and rule, and the gaps around the intro
FORWARD_PT = 17.0  # a line of the forward-pass statements
TITLE_PT = 16.0  # "Given", "Answers", "Worked steps"
GIVEN_ROW_PT = 16.5
ANSWER_ROW_PT = 27.0
KEY_ANSWER_ROW_PT = 18.0
STEP_PT = 11.5
STEP_CHAR_PT = 4.3  # a character of a worked step
NOTE_PT = 10.5  # a line of 8 pt notes (the key's "If you got" lines)
NOTE_CHAR_PT = 4.2  # a character of such a note
WORK_PT = (50.0, 150.0)  # least working space of a problem, from 8 pt a worked step within these bounds
LEAST_WORK_PT = 24.0  # when space is short
ANSWER_LINE_PT = 150.0  # longest answer line
PROBLEM_GAP_PT = 18.0  # above a problem
WORK_GAP_PT = 8.0  # between a problem and its working space
CONTINUED_PT = 26.0  # a split problem's heading on its second page
HEADER_PT = 112.0  # a sheet's first-page header: title, name/date/score, the instructions box's frame
INSTRUCTION_CHAR_PT = 4.7  # a character of the instructions (9.5 pt)
INSTRUCTION_LINE_PT = 13.5

_FONT_SIZE = re.compile(rb'font-size="([\d.]+)"')


def smallest_font_pt(svg: bytes) -> float:
    """The smallest text size in a dot SVG, in pt at its natural size."""
    sizes = [float(s) for s in _FONT_SIZE.findall(svg)]
    return min(sizes) if sizes else 14.0


def text_box(paper: str) -> tuple[float, float]:
    w, h = PAPER_PT[paper]
    return w - 2 * MARGIN_X, h - MARGIN_TOP - MARGIN_BOTTOM


def lines(widths: list[float], room: float) -> int:
    """Lines that pieces of these widths fill when set one after another and wrapped at `room`."""
    count, used = 1, 0.0
    for w in widths:
        if used and used + w > room:
            count, used = count + 1, 0.0
        used += w
    return count


def wrapped(text: str, width: float, char: float = STEP_CHAR_PT, indent: float = 12.0) -> int:
    """Lines a text takes in a column (worked steps by default: 9 pt, hanging indent)."""
    return lines([char * (len(word) + 1) for word in text.split()], width - indent)


def intro(question: str) -> str:
    """The question's opening sentences: the lines before "Given ...", as one paragraph; an indented line
    (a learner's worked pass that a find_error problem shows) keeps a line of its own."""
    rows: list[str] = []
    for line in question.split("\n"):
        if line.startswith("Given "):
            break
        if line.startswith("  ") or not rows or rows[-1].startswith("  "):
            rows.append(line)
        else:
            rows[-1] += " " + line
    return "\n".join(row.strip() for row in rows if row.strip())


def head_pt(problem: dict, width: float) -> float:
    """Heading, intro and forward-pass line of a problem on the sheet."""
    from ..record import statements

    first = sum(lines([CHAR_PT * (len(word) + 1) for word in row.split()], width)
                for row in intro(problem["question"]).split("\n"))
    forward = lines([70.0] + [MATH_CHAR_PT * len(s) + 14 for s in statements(problem["nodes"], pretty=True)], width)
    return HEAD_PT + first * LINE_PT + forward * FORWARD_PT


def given_rows(problem: dict) -> int:
    from ..record import leaves

    return len(leaves(problem["nodes"])) + 1 + ("learning_rate" in problem) + ("h" in problem)


def work_pt(problem: dict) -> float:
    """The least working space of a problem: more for more steps."""
    low, high = WORK_PT
    return max(low, min(high, 18 + 8 * len(problem["steps"])))


def header_pt(instructions: str, paper: str) -> float:
    """A sheet's first-page header with these instructions (their words, as printed)."""
    width = text_box(paper)[0] - 18
    return HEADER_PT + lines([INSTRUCTION_CHAR_PT * (len(w) + 1) for w in instructions.split()], width) * INSTRUCTION_LINE_PT


def _fit(picture, room_w: float, room_h: float, most: float) -> float:
    w, h = picture.size_pt
    return max(0.0, min(most, room_w / w, room_h / h))


def _floor(picture) -> float:
    """The least scale at which the picture's text prints at MIN_PRINT_PT."""
    return MIN_PRINT_PT / smallest_font_pt(picture.data)


def _placement(picture, mode: str, scale: float, content: float, room_w: float, room_h: float, work: float = 0.0,
               blank=None) -> dict:
    """How a picture is placed: mode ("side" or "stacked"), width (pt), font (its smallest text in print, pt),
    work (least working space, pt), content (the problem's height without it), height (with it and the gaps),
    breakable, line (answer line, pt), blank (a grad blank's printed (width, height), pt)."""
    w, h = picture.size_pt
    column = room_w - w * scale - GUTTER_PT if mode == "side" else (room_w - 110 - 2 * GUTTER_PT) / 2
    line = max(60.0, min(ANSWER_LINE_PT, column - 95))
    height = content + (WORK_GAP_PT + work if work else 0.0)
    return dict(mode=mode, width=round(w * scale, 2), font=round(scale * smallest_font_pt(picture.data), 2),
                work=round(work, 1), content=round(content, 1), height=round(height, 1),
                breakable=height > room_h + 0.5, line=round(line, 1),
                blank=None if blank is None else (round(blank[0] * scale, 2), round(blank[1] * scale, 2)))


def sheet_layout(problem: dict, picture, paper: str, blank=None, room: float | None = None) -> dict | None:
    """Where a question picture goes and how large: beside the given values and answer lines ("side") or above
    them ("stacked"), whichever prints it larger (side on a tie), as large as the page allows up to
    SHEET_MAX_SCALE with the problem's least working space below. `blank` is the natural size of the picture's
    grad blanks. A problem that cannot fit on one page with its text at MIN_PRINT_PT or more is "split": its
    picture alone on a page, the rest on the next.

    With `room` (pt of a page left), the largest placement that fits there with the picture at least at its
    natural size and its blanks at least BLANK_PT, or None: a problem squeezed onto a page it shares."""
    tw, th = text_box(paper)
    w, h = picture.size_pt
    head = head_pt(problem, tw)
    answers = len(problem["answers"])
    given = TITLE_PT + given_rows(problem) * GIVEN_ROW_PT
    side = given + 2 + TITLE_PT + answers * ANSWER_ROW_PT + 4
    below = max(given, TITLE_PT + -(-answers // 2) * ANSWER_ROW_PT) + 8
    floor = _floor(picture) if room is None else max(_floor(picture), 1.0)
    if room is not None and blank is not None:
        floor = max(floor, *(want / got for want, got in zip(BLANK_PT, blank)))
    for work in (work_pt(problem),) if room is not None else (work_pt(problem), LEAST_WORK_PT):
        left = (th if room is None else room) - head - WORK_GAP_PT - work
        beside = _fit(picture, tw - SIDEBAR_PT - GUTTER_PT, left, SHEET_MAX_SCALE)
        above = _fit(picture, tw, left - below, SHEET_MAX_SCALE)
        if max(beside, above) >= floor - 1e-9:
            if beside >= above - 1e-9:
                return _placement(picture, "side", beside, head + max(h * beside, side), tw, th, work, blank)
            return _placement(picture, "stacked", above, head + h * above + below, tw, th, work, blank)
    if room is not None:
        return None
    # Too tall for one page: the picture on a page of its own, as large as fits (below MIN_PRINT_PT only when
    # even that page cannot hold it at that size), and the given values, answers and working on the next page.
    scale = _fit(picture, tw, th - head - LINE_PT, SHEET_MAX_SCALE)  # and a line: "... on the next page"
    place = _placement(picture, "split", scale, head + h * scale + LINE_PT, tw, th, work_pt(problem), blank)
    place["rest"] = round(CONTINUED_PT + below, 1)
    place["breakable"] = False
    place["height"] = round(place["rest"] + WORK_GAP_PT + place["work"], 1)  # what the next page needs
    return place


def blank_for(placement: dict, blank: tuple[float, float]) -> tuple[float, float] | None:
    """A larger natural blank for a picture whose blanks print smaller than BLANK_PT at its placement; None if
    they are large enough, or if the picture is too large for the page at MIN_PRINT_PT already (its text
    would only shrink further)."""
    printed = placement["blank"]
    if printed is None or (printed[0] >= BLANK_PT[0] - 1e-6 and printed[1] >= BLANK_PT[1] - 1e-6):
        return None
    if placement["font"] < MIN_PRINT_PT - 1e-6:
        return None
    grow = [max(1.0, want / got) if got else 2.0 for want, got in zip(BLANK_PT, printed)]
    return tuple(float(int(b * g * BLANK_SLACK) + 1) for b, g in zip(blank, grow))


def mistake_lines(answers: list[dict], width: float) -> float:
    """Height of the key's "If you got" notes under these answers and of the reasons listed once below them."""
    height, reasons = 0.0, {}
    for a in answers:
        if a["mistakes"]:
            text = "If you got " + " ".join(f"{m['value']} ({m['mark']})," for m in a["mistakes"])
            height += NOTE_PT * wrapped(text, width, NOTE_CHAR_PT, 0)
            for m in a["mistakes"]:
                reasons.setdefault(m["mark"], m["why"])
    for mark, why in reasons.items():
        height += NOTE_PT * wrapped(f"({mark}) {why}", width, NOTE_CHAR_PT)
    return height + (4 if reasons else 0)


def key_layout(problem: dict, answers: list[dict], picture, paper: str) -> dict:
    """An answer picture with the answers (and their mistakes) and worked steps beside it when they fit, else below."""
    tw, th = text_box(paper)
    w, h = picture.size_pt
    head = HEAD_PT + 8
    steps = problem["steps"]
    for column in KEY_SIDE_PT:  # a narrower column of steps beside a tall picture beats a split problem
        rows = len(answers) * KEY_ANSWER_ROW_PT + mistake_lines(answers, column)
        side = rows + 4 + TITLE_PT + STEP_PT * sum(wrapped(s, column) for s in steps)
        scale = _fit(picture, tw - column - GUTTER_PT, th - head, KEY_MAX_SCALE)
        if scale >= _floor(picture) - 1e-9 and side <= th - head:
            return _placement(picture, "side", scale, head + max(h * scale, side), tw, th)
    column = tw - KEY_SIDE_PT[0] - 2 * GUTTER_PT  # the steps beside the answers, under the picture
    rows = len(answers) * KEY_ANSWER_ROW_PT + mistake_lines(answers, KEY_SIDE_PT[0])
    below = max(rows, TITLE_PT + STEP_PT * sum(wrapped(s, column) for s in steps)) + 4
    scale = max(_fit(picture, tw, th - head - below, KEY_MAX_SCALE), _floor(picture))
    return _placement(picture, "stacked", scale, head + h * scale + below, tw, th)


def pack(placements: list[dict], first_room: float, room: float, squeeze) -> list[list[tuple[int, str]]]:
    """Which problems share a page of a version's sheets, in order, as (index, part): part "whole", or for a split
    problem "picture" (alone on its page) and then "rest" (its given values, answers and working, at the top
    of the next page). Each problem goes as early as it fits with its least working space, by estimate, at its
    own size or squeezed onto the page (`squeeze(i, room)`: a smaller placement that fits `room`, or None).
    `placements` are the problems' question placements, replaced where a problem is squeezed."""
    pages, left = [[]], first_room

    def new_page():
        nonlocal left
        if pages[-1]:
            pages.append([])
            left = room

    for i, place in enumerate(placements):
        if place["mode"] == "split":
            new_page()
            pages[-1].append((i, "picture"))
            pages.append([(i, "rest")])
            left = room - PROBLEM_GAP_PT - place["height"]
            continue
        need = PROBLEM_GAP_PT + place["height"]
        if pages[-1] and need > left:
            smaller = squeeze(i, left - PROBLEM_GAP_PT)
            if smaller is None:
                new_page()
            else:
                placements[i] = place = smaller
                need = PROBLEM_GAP_PT + place["height"]
        pages[-1].append((i, "whole"))
        left -= need
    return pages


BROWSER_SLACK = 1.25  # a browser sets a problem's text and tables up to 1.2 times as tall as Typst (Chromium, measured)


def print_width(place: dict, paper: str) -> float:
    """The width a question picture prints at from a browser: narrower than on the PDF where the problem fills
    most of a page, so that with the browser's taller text it still fits on one."""
    w, h = place["picture"].size_pt
    picture = place["width"] * h / w
    need = place["content"] if place["mode"] == "split" else place["height"]
    room = text_box(paper)[1] * 0.98 - (need - picture) * BROWSER_SLACK
    return round(place["width"] * max(0.5, min(1.0, room / picture)), 2)
