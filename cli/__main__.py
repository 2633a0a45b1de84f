"""``python -m cli``: the same as the ``salesflow`` console script."""

from cli import main

main()
