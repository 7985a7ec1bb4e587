"""Development tools, not part of the product (not in the wheel): the fake Telegram Bot API that
``make run`` and the tests talk to, and the terminal chat. They run from a checkout, with the
project's root as the working directory, and may import the product; the product never imports
them (an import-linter contract in ``pyproject.toml``).
"""
