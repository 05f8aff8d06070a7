"""`python -m cloudforge.cli`: the same as the `cloudforge` console script."""

from cloudforge.cli import main

main()
