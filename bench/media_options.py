"""The benchmark deck's media, and what each product option would cost or save: deflate levels, sha256, and
invisible SVG shrinks (dot's comments dropped, the repeated font-family moved into one <style>). CPU by
process_time over repeats (median). Run from the worktree root: python bench/media_options.py."""
import re, statistics, sys, tempfile, time, zlib, hashlib
from pathlib import Path
sys.path.insert(0, "bench")
import run as bench
from practice.anki import deck, package

media = []
_add = package.PackageWriter.add_media
def add_media(self, name, data):
    if name not in self.media:
        media.append(data)
    _add(self, name, data)
package.PackageWriter.add_media = add_media
tmp = Path(tempfile.mkdtemp())
deck.build_deck(bench.felt_deck_spec(200, tmp), tmp / "d.apkg", "svg", timestamp=bench.TIMESTAMP, progress=False)
print(f"{len(media)} pictures, {sum(map(len, media)) / 1e6:.2f} MB")

def cpu(f, n=5):
    ts = []
    for _ in range(n):
        t = time.process_time(); r = f(); ts.append(time.process_time() - t)
    return statistics.median(ts), r

def deflate(docs, level):
    def f():
        size = 0
        for d in docs:
            c = zlib.compressobj(level, zlib.DEFLATED, -15)
            size += len(c.compress(d)) + len(c.flush())
        return size
    return f

def crc(docs):
    return lambda: [zlib.crc32(d) for d in docs]

def sha(docs):
    return lambda: [hashlib.sha256(d).digest() for d in docs]

COMMENT = re.compile(rb"<!--[^\n]*-->\n")
FONT = b' font-family="Liberation Sans,Arial,Helvetica,sans-serif"'
STYLE = b'<style>text{font-family:"Liberation Sans",Arial,Helvetica,sans-serif}</style>\n'
def no_comments(d):
    return COMMENT.sub(b"", d)
def font_style(d):
    d = d.replace(FONT, b"")
    at = d.index(b'<g id="graph0"')
    return d[:at] + STYLE + d[at:]

variants = {"as now": media, "no comments": [no_comments(d) for d in media],
            "font in <style>": [font_style(d) for d in media],
            "both": [font_style(no_comments(d)) for d in media]}
t_sha, _ = cpu(sha(media)); t_crc, _ = cpu(crc(media))
print(f"sha256 {t_sha:.3f} s, crc32 {t_crc:.3f} s (as now)")
for name, docs in variants.items():
    raw = sum(map(len, docs))
    line = [f"{name:16s} raw {raw / 1e6:6.2f} MB sha {cpu(sha(docs))[0]:.3f}"]
    for level in (1, 3, 6, 9):
        t, size = cpu(deflate(docs, level), 3)
        line.append(f"L{level} {t:.3f}s {size / 1e6:.2f}MB")
    print("  ".join(line))

def zipped():
    import zipfile
    with zipfile.ZipFile(tmp / "z.zip", "w") as z:
        for i, d in enumerate(media):
            info = zipfile.ZipInfo(str(i), date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, d)
print(f"zipfile.writestr of every picture (level 6, as the deck): {cpu(zipped)[0]:.3f} s")
