"""PySide6 user interface: thin wiring of model, render and core."""
