"""The `cloudforge` console script: the collector off before the CLI is imported.

`cloudforge.cli` pauses the cyclic collector while it imports click and resumes it at the end
of that import, so that importing it as a library leaves nothing paused. For the console script
that resume came just before `main` paused it again, and the collection it let through walked
everything imported so far (a few ms of a no-op `cloudforge plan`, issue 14's cold start). Here
the collector is off from before that import until `main` resumes it (`cloudforge.cli.startup`
says when), so no pass runs over the start at all. `python -m cloudforge.cli` and a library
`main()` work as before, with that one collection.
"""

from __future__ import annotations

import gc


def main() -> None:
    was_on = gc.isenabled()
    gc.disable()
    try:
        from cloudforge.cli import main as cli_main
        from cloudforge.cli import startup
    except BaseException:
        if was_on:
            gc.enable()
        raise
    if was_on:
        startup.hand_over()  # off since before the import: main's pause finds it paused already
    cli_main()
