"""Diagnostics, one module per family: they compute and never plot. Import the modules by name."""

__all__: list[str] = []
