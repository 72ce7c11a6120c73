"""`python -S -m wfexec.emissary -- CMD…`."""

import sys

from wfexec.emissary.main import main

sys.exit(main(sys.argv[1:]))
