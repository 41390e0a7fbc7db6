"""How numbers are shown to people. Records keep full precision; only display rounds."""

import functools
import math

MINUS = "\u2212"


@functools.lru_cache(maxsize=1 << 16)  # a problem set writes the same few numbers over and over
def fmt(x: float, places: int = 4) -> str:
    """Integers bare (6, −4); otherwise at most `places` decimals, trailing zeros dropped; a true minus sign."""
    if not math.isfinite(x):
        raise ValueError(f"cannot show {x!r}")
    r = round(float(x), places)
    if r == 0:
        return "0"
    if r == int(r) and abs(r) < 1e15:
        text = str(int(r))
    else:
        text = f"{r:.{places}f}".rstrip("0").rstrip(".")
    return text.replace("-", MINUS)


def fmt_operand(x: float, places: int = 4) -> str:
    """A number inside a worked step: negative ones in parentheses, as in (−3) × (−2)."""
    text = fmt(x, places)
    return f"({text})" if text.startswith(MINUS) else text


_SCALES = [10**places for places in range(16)]  # (x * 10**places, without the power)


def has_places(x: float, places: int) -> bool:
    """True when x is (up to float noise) a decimal with at most `places` places."""
    return all_have_places((x,), places)


def all_have_places(xs, places: int) -> bool:
    """has_places for every x of xs, in one call."""
    scale = _SCALES[places] if 0 <= places < 16 else 10**places
    for x in xs:
        scaled = x * scale
        if not (math.isfinite(scaled) and -1e-6 < scaled - round(scaled) < 1e-6):  # (abs(...) < 1e-6, no call)
            return False
    return True
