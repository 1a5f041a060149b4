"""The file backend: an ``mlruns`` folder as MLflow's file store writes it.

Layout (``mlflow/store/tracking/file_store.py``)::

    mlruns/<experiment_id>/meta.yaml            experiment; tags/<key> beside it
    mlruns/<experiment_id>/<run_id>/meta.yaml   run info (status as an int enum)
                          /<run_id>/metrics/<key>   "timestamp value step" lines
                          /<run_id>/params/<key>, tags/<key>   one value per file
                          /<run_id>/inputs/, outputs/   datasets and logged models
    mlruns/<experiment_id>/datasets/, models/   datasets and logged models
    mlruns/.trash/<experiment_id>/               deleted experiments
    mlruns/models/<name>/                        the model registry

Keys with '/' are nested folders. The parts, each given its dependencies
explicitly (composed in :mod:`.store`):

- :mod:`.layout`, :mod:`.meta`, :mod:`.metric_files`: paths and file formats,
  plain functions;
- :mod:`.root`: the folder, its experiment folders and the log of unreadable files;
- :mod:`.run_index`: every run's ``meta.yaml``, cached by (mtime, size);
- :mod:`.run_data`: a run's params, tags, metrics, inputs and outputs, read per key;
- :mod:`.run_search`: MLflow's filter and order_by over those, reading only what a
  clause, a sort or the page needs (so 10,000-run folders stay fast);
- :mod:`.runs`: one run, its histories and artifacts, delete / restore;
- :mod:`.experiments`: experiments and their logged models;
- :mod:`.registry`, :mod:`.registry_writes`: the model registry;
- :mod:`.writing`: what every writer does to a file (atomic write, remove, the
  ``meta.yaml`` a change starts from).

A run or experiment whose ``meta.yaml`` is empty or corrupt is skipped (as MLflow
skips it) and listed in :attr:`FileStore.unreadable`; a garbage line in a metric
file is skipped and the rest of the file is read.
"""

from .store import FileStore

__all__ = ["FileStore"]
