"""``python -m deepzoo`` runs the command line, like the ``deepzoo`` script."""

from .cli import main

main(prog_name="deepzoo")
