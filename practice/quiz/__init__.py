"""The quiz exporters: LMS quiz files from a spec's problem set (the `quiz` command, practice/quiz/command.py).

- view.py: a problem record read as the questions every format asks (keys, tolerances, mistakes, texts);
- moodle.py: Moodle XML with pictures, in parts under an upload limit, and the Moodle category paths;
- gift.py: GIFT, Moodle's text format (no pictures);
- qti.py: a QTI 1.2 package for Canvas (also Blackboard, D2L);
- command.py: the command, which draws the pictures once (practice/pictures_small.py makes them small)
  and writes the chosen format.
"""

from .command import build_quiz

__all__ = ["build_quiz"]
