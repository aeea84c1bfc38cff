"""VTK scene pieces that observe the model. No Qt widgets."""
