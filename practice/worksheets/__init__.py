"""The parts of the `worksheet` command (practice/worksheet.py), one concern a module; imports run one way:

versions   the class set: each version's seed and code, and problems structurally equal across versions
layout     page geometry: picture sizes, blanks to write in, problem heights, which problems share a page
templates  the Jinja2 environments (Typst and HTML) and the filters that keep user text out of markup
views      what the templates see: a problem as a view, and a group of versions drawn and laid out
manifest   OUT.json, written a version at a time
files      output paths and formats, and write errors as one line
typeset    the Typst documents, each typeset in a child process and joined onto the PDFs a group at a time
html       the same as one self-contained HTML page each for the sheets and the keys
"""
