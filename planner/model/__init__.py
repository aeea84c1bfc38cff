"""The document users edit and the views observe. No Qt, no VTK."""
