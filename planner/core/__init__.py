"""Numerical heart of the planner: no Qt, no VTK, no file formats."""
