"""The cyclic garbage collector paused while a command starts, and resumed before it works.

A start allocates much and frees nothing (modules, classes, click's commands, the program's
declared resources), so the collector's passes over it find nothing: measured, they were about
a tenth of a no-op `cloudforge plan` (issue 14's cold start). `pause` is called first thing
(while `cloudforge.cli` imports click, and again by `main`); `resume` by `main` before any
command but up, plan and destroy runs, by those at their program's first resource event (the
engine has decided about one), and in any case when the command ends: a long deploy, or
`cloudforge local` serving for hours, has its memory collected as any program has.
"""

from __future__ import annotations

import gc

_paused = False


def pause() -> None:
    """Turn the collector off, if it is on; `resume` turns it back on."""
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def resume() -> None:
    """Turn the collector back on, if `pause` turned it off (idempotent)."""
    global _paused
    if _paused:
        _paused = False
        gc.enable()


def paused() -> bool:
    return _paused
