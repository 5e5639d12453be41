"""The ``rural-plan`` command: one module per command, each the option parsing of a
library function (its "tool"), nothing else.

Every error rural_plan raises on purpose is printed as one line per problem and exits
with status 2; ``-v`` adds the traceback. Nothing is left half-written. Command modules
import the library where a command runs, so ``rural-plan --help`` loads no kernels.
"""

from rural_plan.cli.main import main

__all__ = ["main"]
