import sys

from rural_plan.cli.main import main

sys.exit(main())
