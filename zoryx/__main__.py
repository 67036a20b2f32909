"""``python -m zoryx`` runs the ``zoryx`` command line."""

from .cli import main

main()
