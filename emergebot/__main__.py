"""``python -m emergebot``."""

import sys

from emergebot.cli import main

sys.exit(main())
