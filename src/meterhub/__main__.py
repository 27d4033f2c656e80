"""`python -m meterhub` runs the command line."""

from meterhub.cli import main

main()
