"""Every problem set is byte-identical to the one this code made when the test was written (issue 19).

Generation may get faster, never different: the same spec and seed must print the very same `problems --json`
text. The hashes below are sha256 digests of that text, recorded from the code before any speed work; a test
that fails here means some record, redraw decision or random stream changed. Only a deliberate change to the
problems themselves may update them (and then says so in its commit).

The text is made in-process, as the CLI makes it (spec.choose, generate.problem_set, generate.document and the
CLI's JSON dumping); one case also runs the real command to show the two are the same bytes. The generator
field is pinned to the version the hashes were recorded with, so a version bump alone does not change them.
"""

import hashlib
import subprocess
import sys

import pytest

from practice import GENERATOR
from practice.cli import _json_text
from practice.generate import document, problem_set
from practice.kinds import DIFFICULTIES, KINDS
from practice.spec import bundled_specs, choose

RECORDED_WITH = "backprop-practice 0.1.0"
SPECS = ("micrograd", "worksheet", "training", "training-worksheet")
SEEDS = (None, 2, 7)  # None: the spec's own seed (worksheet: 1, training-worksheet: 3)
ADHOC_COUNT = 6  # 13 kinds x 3 difficulties x 6 problems per seed
ADHOC_SEEDS = (None, 3)

# (spec or "all kinds", difficulty, count, seed) -> sha256 of `problems ... --json`
HASHES = {
    ('micrograd', None, None, None): "45d87d012d1b8cdae95fae1b84d70d2b4c1b7f9c5a20e41d37c9a9c305d98bd1",
    ('micrograd', None, None, 2): "a36822ae3e1d9bfb5e73eb9907b9201d0f5220fee2a46baf24c5a7ddfdde4db9",
    ('micrograd', None, None, 7): "c9f4062cebf5f4817a6a881a932c4451590cbbd31f77dc6aca54b70f95475ee5",
    ('worksheet', None, None, None): "c500575417fcb9c1c1dd721b69cfb2c1407580f8d6dd9c37c11b8cf7fc38b027",
    ('worksheet', None, None, 2): "de8c0cc0edc536be893513b675a376795bf93361ac43d2c3970b040936ff1f76",
    ('worksheet', None, None, 7): "dda8b7c689d8855d4f6502b4f601bd545c55315788953477bc0630b0b0d75a67",
    ('training', None, None, None): "92b5be34dd8635a8d7cd7052677d3f79cf06bd98eeac0763a14585e794408700",
    ('training', None, None, 2): "bf1997c3c723558b7e3d149d45877b6996fec2b406ac74d629b5bc805b50ffc1",
    ('training', None, None, 7): "75f23d5a76860e765f03a7720f00045cc4c838dc57815ef6902be3329cd2e4b6",
    ('training-worksheet', None, None, None): "f3ce9931871df4039e25af54119ebf8cb141800a7f2869ab0a7c025090cfa98b",
    ('training-worksheet', None, None, 2): "7835ed5999253fd3d847efddbb7d295b522dbd4aeed37aa1c14d9e4c2f8d9a9c",
    ('training-worksheet', None, None, 7): "76bbf6fbe20440d2cd62dfe2fa89b8f10399e22ea7a6900cf36bc0b36e009dd7",
    ('all kinds', 'easy', 6, None): "3f8556d6383e99d32e7ed573ef9fff17046cfe6ef1d3a7795b01dc2630308cfb",
    ('all kinds', 'easy', 6, 3): "d313bd70db18a2b97bff99dae6b0ae1a71bc03f6d297257ef1179c86ba7e494a",
    ('all kinds', 'medium', 6, None): "7c9d60783451594bb4cf4a4be22ecec5aecb3e3b3946c806c016cb1484edbad2",
    ('all kinds', 'medium', 6, 3): "ead592b45b6919982b815a08a3bd83ddb3c5875bc5172452c67fc9d7a76ea22c",
    ('all kinds', 'hard', 6, None): "3667be4c440bbcf846896ffa88496b4991a23833242c8c9a082638c468a27dd0",
    ('all kinds', 'hard', 6, 3): "a22dede78c65301f1cf69455f705c75218ea607c773ecb1c4f09fd92618476cf",
}


def json_text(spec=None, kinds=(), difficulty=None, count=None, seed=None) -> str:
    chosen = choose(spec, kinds, difficulty, count, seed)
    doc = document(problem_set(chosen.entries, chosen.seed), chosen.seed)
    doc["generator"] = RECORDED_WITH
    return _json_text(doc)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def cases():
    for spec in SPECS:
        for seed in SEEDS:
            yield (spec, None, None, seed)
    for difficulty in DIFFICULTIES:
        for seed in ADHOC_SEEDS:
            yield ("all kinds", difficulty, ADHOC_COUNT, seed)


def text_of(case) -> str:
    spec, difficulty, count, seed = case
    if spec == "all kinds":
        return json_text(None, tuple(KINDS), difficulty, count, seed)
    return json_text(spec, seed=seed)


def test_every_bundled_spec_is_covered():
    assert sorted(SPECS) == sorted(bundled_specs())
    assert len(KINDS) == 13


@pytest.mark.parametrize("case", list(cases()), ids=lambda c: "-".join(str(x) for x in c))
def test_problem_set_is_byte_identical(case):
    assert digest(text_of(case)) == HASHES[case]


def test_the_in_process_text_is_the_commands_output():
    args = ["problems", "training", "--seed", "7", "--json"]
    out = subprocess.run([sys.executable, "-m", "practice", *args], capture_output=True, check=True).stdout.decode("utf-8")
    assert out == json_text("training", seed=7).replace(RECORDED_WITH, GENERATOR, 1)
    args = ["problems", *[a for k in KINDS for a in ("--kind", k)], "--difficulty", "hard", "--count", str(ADHOC_COUNT), "--json"]
    out = subprocess.run([sys.executable, "-m", "practice", *args], capture_output=True, check=True).stdout.decode("utf-8")
    assert out == json_text(None, tuple(KINDS), "hard", ADHOC_COUNT).replace(RECORDED_WITH, GENERATOR, 1)
