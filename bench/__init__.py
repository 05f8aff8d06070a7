"""`make bench`: cloudforge's speed and memory figures, each against a baseline measured in the same run.

`python -m bench` runs the measurement modules (imports, codegen, deploy, noop, update,
statewrites) and writes bench/results/ through `bench.report`; peers run from bench/.venv-peers (see bench/env.py).
"""
