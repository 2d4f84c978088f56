"""``python -m minicgmvae.checks``: the course kit's command line (see
:func:`minicgmvae.checks.grader.main`)."""

import sys

from .grader import main

sys.exit(main())
