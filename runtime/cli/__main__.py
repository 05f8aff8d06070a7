"""`python -m cloudforge.cli`: the same as the `cloudforge` console script (less its start
without any collection: see cloudforge.console)."""

from cloudforge.cli import main

main()
