"""``python -m cli``: the same as the ``salesflow`` console script."""

from cli.main import main

main()
