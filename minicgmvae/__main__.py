"""``python -m minicgmvae``: see :mod:`minicgmvae.cli`."""

import sys

from .cli import main

sys.exit(main())
