"""``python -m minicgmvae.checks``: the course kit's command line (see :func:`main`)."""

import sys

from . import main

sys.exit(main())
