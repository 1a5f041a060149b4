"""What a screen or a command shows, computed without Textual.

Between the screens (and the CLI) and the store: pages of runs and the book
of what was asked (:mod:`.run_pages`), the line mapping of the runs table
(:mod:`.run_rows`), the first page fetched while the app starts
(:mod:`.prefetch`), a run with the names around it (:mod:`.run_detail`),
CSV export (:mod:`.export`), a model with its versions (:mod:`.registry`), and a
run's artifacts: the tree's items (:mod:`.artifacts`), previews chosen by name and
content (:mod:`.previews`, drawn from :mod:`.preview_types`; text, tables, images,
MLmodel in :mod:`.preview_text`, :mod:`.preview_table`, :mod:`.preview_image`,
:mod:`.preview_model`) and saving them (:mod:`.artifact_save`).
Everything here may block and runs in worker threads; nothing imports
Textual (an import contract checks it).
"""
