"""`mtecg batch`: screen a whole archive of printouts into one results table.

The pipeline is the service's (sandboxed ingest and layout, one model that batches), run over
many files: `inputs` expands the command line, `stages` holds the per-file and per-batch work
both engines share, `journal` makes the run resumable, `local` and `ray_engine` schedule the
stages, `importer` records results in the service's database.
"""
