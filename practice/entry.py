"""The console script's first code: Ctrl-C while the tool is still loading ends as one line too."""

import os
import signal
import sys


def _loading_interrupted(signum, frame):
    sys.stderr.write("interrupted\n" if signum == signal.SIGINT else "terminated\n")
    sys.stderr.flush()
    os._exit(128 + signum)  # nothing has been written yet: no cleanup to run


def run():
    for sig in (signal.SIGINT, signal.SIGTERM):
        if signal.getsignal(sig) is not signal.SIG_IGN:
            signal.signal(sig, _loading_interrupted)
    from .cli import main  # main() replaces these handlers with its own

    main()
