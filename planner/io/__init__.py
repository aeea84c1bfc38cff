"""File formats (DICOM, NIfTI, NRRD, plans). No Qt, no VTK."""
