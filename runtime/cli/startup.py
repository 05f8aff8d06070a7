"""The cyclic garbage collector paused while a command starts, and resumed before it works.

A start allocates much and frees nothing (modules, classes, click's commands, the program's
declared resources), so the collector's passes over it find nothing: measured, they were about
a tenth of a no-op `cloudforge plan` (issue 14's cold start). `pause` is called first thing
(while `cloudforge.cli` imports click, and again by `main`; the console script,
`cloudforge.console`, turns it off before that import and `hand_over`s); `resume` by `main`
before any command but up, plan and destroy runs, by those at their program's first resource
event (the engine has decided about one), and in any case when the command ends: a long
deploy, or `cloudforge local` serving for hours, has its memory collected as any program has.

The console script (`main`) also freezes what its start made when it resumes (`gc.freeze`: into
the collector's permanent generation). Modules, classes and click's commands live as long as
the process anyway, so no later pass, nor the full one at interpreter exit, walks them again:
those passes over the whole start were about a tenth of a no-op `cloudforge plan`. What the run
makes after that is collected as usual. The cost: an object frozen (alive at the first resource)
that later becomes part of unreachable cycle is not collected until the process ends (without
a cycle, reference counting frees it as before); cloudforge closes its state, lock and client
explicitly, not through the collector. Never frozen in a process that imports cloudforge as a
library (tests, tools, click's CliRunner): only `main` asks for it.
"""

from __future__ import annotations

import gc

_paused = False
_freeze = False


def pause(*, freeze_start: bool = False) -> None:
    """Turn the collector off, if it is on; `resume` turns it back on.

    `freeze_start` (the console script's `main` only): `resume` also freezes what exists then.
    """
    global _paused, _freeze
    if gc.isenabled():
        gc.disable()
        _paused, _freeze = True, freeze_start
    elif _paused:  # paused already (by main): a nested pause keeps main's request
        _freeze = _freeze or freeze_start


def hand_over() -> None:
    """The collector was turned off by the console script (`cloudforge.console`) before this
    package was imported: take it over as if `pause` had, so that `resume` turns it back on."""
    global _paused
    gc.disable()
    _paused = True


def resume() -> None:
    """Turn the collector back on, if `pause` turned it off (idempotent); freeze first if asked."""
    global _paused, _freeze
    if _paused:
        _paused = False
        if _freeze:
            _freeze = False
            gc.freeze()
        gc.enable()


def paused() -> bool:
    return _paused
