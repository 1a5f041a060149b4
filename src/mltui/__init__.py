"""mltui: a terminal UI for MLflow tracking data and the model registry."""

__version__ = "0.1.0"
