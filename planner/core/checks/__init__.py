"""Safety checks of a trajectory against the vertebra model (definitions: DESIGN.md)."""
