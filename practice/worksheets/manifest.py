"""The manifest (OUT.json): what regenerates every version of a class set, written a version at a time."""

import json
import textwrap

from .files import writing
from .versions import signature

MANIFEST_FORMAT = "backprop-practice.worksheets/2"


class Manifest:
    """Written a version at a time as versions pass through record(): the text json.dumps(..., indent=2) would
    give for the whole, without holding every version's problems.

    {"format", "generator", "spec", "seed", "duplex", "versions": [{"code", "seed", "seeds", "problems"}]}:
    problem i of a version is problem i of `problems SPEC --seed <seeds[i]> --json`."""

    def __init__(self, f, spec, shown, duplex: bool = True):
        from .. import GENERATOR

        self.f, self.shown = f, shown
        self.versions = self.problems = 0
        self.signatures = set()
        head = {"format": MANIFEST_FORMAT, "generator": GENERATOR, "spec": spec.name, "seed": spec.seed, "duplex": duplex}
        self._write(json.dumps(head, ensure_ascii=False, indent=2)[: -len("\n}")] + ',\n  "versions": [')

    def _write(self, text: str) -> None:
        with writing(self.shown):
            self.f.write(text)

    def record(self, versions):
        """Pass the versions on, each written down as it goes by."""
        for v in versions:
            entry = {"code": v.code, "seed": v.seed, "seeds": v.seeds, "problems": v.problems}
            entry = json.dumps(entry, ensure_ascii=False, indent=2)
            self._write(("\n" if self.versions == 0 else ",\n") + textwrap.indent(entry, "    "))
            self.versions += 1
            self.problems += len(v.problems)
            self.signatures.add(signature(v.problems))
            yield v

    def close(self) -> None:
        with writing(self.shown):
            self.f.write("\n  ]\n}\n")
            self.f.flush()
