"""``python -m workbench ...``: the command line without the ``workbench`` script on PATH (any OS)."""
import sys

from .cli import main

sys.exit(main())
