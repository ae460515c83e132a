"""The screening model: network, self-describing model package, legacy import, prediction.

Nothing is imported here on purpose: importing `mtecg.model` must not pull in torch for callers
that only need one light submodule.
"""
