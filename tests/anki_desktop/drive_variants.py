#!/usr/bin/env python
"""Drive the real Anki desktop reviewer (the PyPI `aqt` package) under Xvfb: does a card deal a new variant on
every showing, and does its back show (and grade) the front's?

Not part of the pytest run (Anki desktop takes a minute to start and needs its own packages): `make
anki-desktop` installs them and runs this script; see tests/anki_desktop/README.md. It starts Anki with a
throwaway profile, imports DECK, puts one problem card first, and then, SHOWINGS times: shows the card's
front, reads its data-variant and what it shows, types the shown variant's key into its first box, shows
the back (mw.reviewer._showAnswer), reads the back's data-variant, "numbers set k of N" and verdict, and
answers Again (so the card comes straight back, as in a learning step). It also runs Check Database and
Check Media, and records whether localStorage lasted between showings. Everything read goes to
WORK/variants-desktop.json, with a screenshot of each side in WORK/shots; the exit status is 0 when every
check held.

Env: DECK (.apkg with variants), WORK (scratch folder), SHOWINGS (default 10).
"""

import json
import os
import sys
import threading
import time
import traceback

WORK = os.path.abspath(os.environ.get("WORK", os.getcwd()))
DECK = os.environ.get("DECK", os.path.join(WORK, "variants.apkg"))
SHOWINGS = int(os.environ.get("SHOWINGS", "10"))
BASE = os.path.join(WORK, "anki-base")
SHOTS = os.path.join(WORK, "shots")
RESULTS = os.path.join(WORK, "variants-desktop.json")
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")
os.makedirs(SHOTS, exist_ok=True)

import aqt  # noqa: E402
from aqt import gui_hooks  # noqa: E402
from aqt.profiles import ProfileManager  # noqa: E402
from aqt.qt import QTimer  # noqa: E402
from aqt.webview import AnkiWebPage  # noqa: E402

ProfileManager.setDefaultLang = lambda self, idx: self.setLang("en_US")  # no first-run language dialog

CONSOLE = []
_console = AnkiWebPage.javaScriptConsoleMessage


def _log_console(self, level, msg, line, src):
    CONSOLE.append({"level": str(level).split(".")[-1], "msg": msg, "line": line})
    return _console(self, level, msg, line, src)


AnkiWebPage.javaScriptConsoleMessage = _log_console
R = {"deck": DECK, "showings": [], "console": CONSOLE, "failures": []}


def log(*args):
    print("[variants]", *args, flush=True)


def fail(what):
    R["failures"].append(what)
    log("FAIL", what)


class Sleep:
    def __init__(self, ms):
        self.ms = ms


class JS:
    def __init__(self, code):
        self.code = code


def run_flow(gen):
    def step(value=None):
        try:
            ask = gen.send(value)
        except StopIteration:
            return
        except Exception:
            R["crash"] = traceback.format_exc()
            log("CRASH\n" + R["crash"])
            finish()
            return
        if isinstance(ask, Sleep):
            QTimer.singleShot(ask.ms, step)
        else:
            aqt.mw.reviewer.web.evalWithCallback(ask.code, lambda r: QTimer.singleShot(0, lambda: step(r)))

    step()


def finish():
    with open(RESULTS, "w") as f:
        json.dump(R, f, indent=1, default=str)
    log("results in", RESULTS, "; failures:", len(R["failures"]))
    code = 0 if not R["failures"] and "crash" not in R and R["showings"] else 1
    QTimer.singleShot(300, lambda: os._exit(code))


def wait_js(condition, timeout=20000):
    started = time.time()
    while (time.time() - started) * 1000 < timeout:
        if (yield JS(f"(function(){{try{{return !!({condition});}}catch(e){{return false;}}}})()")):
            return True
        yield Sleep(150)
    return False


STALE = "document.getElementById('qa').insertAdjacentHTML('beforeend', '<i id=\"drive-stale\"></i>'); true"
FRESH = "!document.getElementById('drive-stale') && document.querySelector('#qa .problem[data-variant]')"
READ = """JSON.stringify((function () {
  var root = document.querySelector('#qa .problem');
  var id = document.querySelector('#qa [data-field="Id"]');
  var set = document.querySelector('#qa .bp-variant-number');
  var local = null;
  try { local = localStorage.getItem('backprop-practice/variant/' + root.getAttribute('data-exercise') + '/' + root.getAttribute('data-slot')); } catch (e) { local = 'refused: ' + e; }
  return {side: root.getAttribute('data-side'), variant: root.getAttribute('data-variant'),
          variants: root.getAttribute('data-variants'), id: id ? id.textContent : null,
          set: set ? set.parentElement.textContent : null,
          boxes: [].map.call(document.querySelectorAll('#qa input[data-answer]'), function (b) { return b.getAttribute('data-answer'); }),
          verdicts: [].map.call(document.querySelectorAll('#qa [data-verdict-for]'), function (e) { return [e.getAttribute('data-verdict-for'), e.getAttribute('data-verdict')]; }),
          pictures: [].map.call(document.images, function (i) { return [i.getAttribute('src'), i.complete && i.naturalWidth > 0]; }),
          local: local};
})())"""


def flow():
    mw = aqt.mw
    col = mw.col
    from anki.collection import ImportAnkiPackageOptions, ImportAnkiPackageRequest

    mw.resize(1100, 900)
    mw.show()
    col.import_anki_package(ImportAnkiPackageRequest(package_path=DECK, options=ImportAnkiPackageOptions()))
    mw.reset()
    yield Sleep(500)
    report, ok = col.fix_integrity()
    media = col.media.check()
    R["check_database"] = {"ok": ok, "report": report}
    R["check_media"] = {"missing": list(media.missing), "unused": list(media.unused)}
    if not ok or media.missing or media.unused:
        fail(f"checks: database ok={ok}, media missing={len(media.missing)} unused={len(media.unused)}")

    # the whole-pass card of the first problem note with variants (every answer on one card)
    nid = next(n for n in col.find_notes('"note:Backprop Practice problem"') if col.get_note(n)["Variants"])
    note = col.get_note(nid)
    card = max(note.cards(), key=lambda c: c.ord)
    gradings = [json.loads(note["Grading"])] + json.loads(note["VariantGrading"])
    R["card"] = {"id": card.id, "ord": card.ord, "exercise": note["Id"], "variants": note["VariantCount"]}
    did = card.did
    conf = col.decks.config_dict_for_deck_id(did)
    conf["new"]["perDay"] = 1  # this card only: after Again it is the one card left, shown at once
    col.decks.update_config(conf)
    col.set_config("collapseTime", 86400)  # learn ahead: a learning card due later today is shown now
    col.sched.reposition_new_cards([card.id], starting_from=0, step_size=1, randomize=False, shift_existing=True)
    col.decks.select(did)
    mw.reset()
    yield Sleep(300)
    mw.moveToState("review")
    yield Sleep(1500)

    for i in range(SHOWINGS):
        if not (yield from wait_js(FRESH, 20000)):
            fail(f"showing {i + 1}: no front")
            break
        yield Sleep(300)
        if mw.reviewer.card is None or mw.reviewer.card.id != card.id:
            fail(f"showing {i + 1}: the reviewer shows card {mw.reviewer.card and mw.reviewer.card.id}")
            break
        front = json.loads((yield JS(READ)))
        mw.grab().save(os.path.join(SHOTS, f"desktop-{i + 1}-front.png"))
        k = int(front["variant"])
        grading = gradings[k - 1]
        first = grading["answers"][0]
        box = f"{grading['id']}/{first['name']}"
        if box not in front["boxes"]:
            fail(f"showing {i + 1}: the boxes {front['boxes']} are not variant {k}'s")
        typed = repr(first["value"])
        yield JS("(function(){var b=document.querySelector('#qa input[data-answer=\"%s\"]'); b.focus(); b.value=%s;"
                 " b.dispatchEvent(new InputEvent('input',{bubbles:true})); return true})()" % (box, json.dumps(typed)))
        yield JS(STALE)
        mw.reviewer._showAnswer()
        if not (yield from wait_js(FRESH + " && document.getElementById('answer')", 20000)):
            fail(f"showing {i + 1}: no back")
            break
        yield Sleep(400)
        back = json.loads((yield JS(READ)))
        mw.grab().save(os.path.join(SHOTS, f"desktop-{i + 1}-back.png"))
        R["showings"].append({"front": front, "back": back, "typed": [first["name"], typed]})
        log(f"showing {i + 1}: front variant {front['variant']} of {front['variants']}, back {back['variant']}, "
            f"{back['set']!r}, verdicts {back['verdicts']}, localStorage {front['local']}")
        if back["variant"] != front["variant"] or back["id"] != grading["id"]:
            fail(f"showing {i + 1}: the back shows variant {back['variant']} ({back['id']}), the front {k}")
        if [box, "right"] not in back["verdicts"]:
            fail(f"showing {i + 1}: variant {k}'s key was not judged right: {back['verdicts']}")
        if not all(ok for _, ok in front["pictures"] + back["pictures"]):
            fail(f"showing {i + 1}: a picture did not load")
        previous = R["showings"][-2]["front"]["variant"] if len(R["showings"]) > 1 else None
        if previous == front["variant"]:
            fail(f"showing {i + 1}: variant {k} again")
        yield JS(STALE)
        mw.reviewer._answerCard(1)  # Again: the card comes back at once (its learning step has passed or not)
        yield Sleep(300)

    dealt = [int(s["front"]["variant"]) for s in R["showings"]]
    n = int(R["card"]["variants"])
    R["dealt"] = dealt
    # localStorage's round for the card: the variants dealt since the round began (the reviewer may render a
    # front more often than it is seen, and each render deals). Kept between showings when each showing's
    # round is the last one's plus its own variant, or a new round of one after all n.
    rounds = [json.loads(s["front"]["local"]) if s["front"]["local"] and s["front"]["local"][0] == "{" else None
              for s in R["showings"]]
    R["local_storage_kept"] = all(r is not None for r in rounds) and all(
        b["shown"] == a["shown"] + [b["last"]] or (len(a["shown"]) >= n - 1 and b["shown"][-1] == b["last"])
        for a, b in zip(rounds, rounds[1:]))
    R["rounds"] = [r["shown"] if r else None for r in rounds]
    errors = [c for c in CONSOLE if c["level"] in ("ErrorMessageLevel", "Error")]
    if errors:
        fail(f"JavaScript errors: {errors[:3]}")
    log("dealt", dealt, "; localStorage kept between showings:", R["local_storage_kept"])
    finish()


started = [False]


def on_profile_open():
    if not started[0]:
        started[0] = True
        QTimer.singleShot(1500, lambda: run_flow(flow()))


gui_hooks.profile_did_open.append(on_profile_open)

if __name__ == "__main__":
    threading.Timer(600, lambda: (log("timed out"), os._exit(3))).start()
    sys.argv = [sys.argv[0], "-b", BASE]
    aqt.run()
