"""``python -m rural_plan.cli``. A Ctrl-C or SIGTERM while Python imports the library
(about two seconds, before any file is touched) ends the run with one line and the
usual status instead of a traceback; ``main`` handles them from then on."""

import os
import signal
import sys


def _stopped_while_starting(signum, frame):
    what = "interrupted" if signum == signal.SIGINT else "terminated"
    sys.stderr.write(f"rural-plan: {what}; no results were written\n")
    sys.stderr.flush()
    os._exit(128 + signum)


signal.signal(signal.SIGINT, _stopped_while_starting)
signal.signal(signal.SIGTERM, _stopped_while_starting)

from rural_plan.cli.main import main  # noqa: E402 (after the handlers, on purpose)

sys.exit(main())
