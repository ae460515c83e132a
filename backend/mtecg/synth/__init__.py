"""Labelled synthetic 12-lead ECG printouts: test data for layout detection, demo training data.

signals (beat model and pathology knobs) -> labels (who has what, with label noise) ->
layouts (where a printer puts things) -> printout (vector PDF) -> scan (PNG with artefacts);
dataset ties them together: `make_record` for one record, `write_dataset` for a folder.
"""
