"""Conversions between numpy/Volume and VTK objects.

Images go to VTK in index space (origin 0, spacing 1); the index->LPS affine goes on the
prop as its UserMatrix, because many VTK filters ignore an image's direction matrix.
"""

from __future__ import annotations

import numpy as np
from planner.render import vtk_api as vtk
from vtkmodules.util import numpy_support


def matrix_to_vtk(m: np.ndarray) -> vtk.vtkMatrix4x4:
    out = vtk.vtkMatrix4x4()
    for i in range(4):
        for j in range(4):
            out.SetElement(i, j, float(m[i, j]))
    return out


def array_to_image(array_kji: np.ndarray) -> vtk.vtkImageData:
    """A (k, j, i) numpy array as vtkImageData in index space (shares no memory)."""
    k, j, i = array_kji.shape
    img = vtk.vtkImageData()
    img.SetDimensions(i, j, k)
    img.SetSpacing(1.0, 1.0, 1.0)
    img.SetOrigin(0.0, 0.0, 0.0)
    flat = np.ascontiguousarray(array_kji).ravel()
    img.GetPointData().SetScalars(numpy_support.numpy_to_vtk(flat, deep=True))
    return img


def read_pixels(render_window: vtk.vtkRenderWindow) -> np.ndarray:
    """RGB pixels of a render window as (rows, cols, 3), row 0 at the top."""
    f = vtk.vtkWindowToImageFilter()
    f.SetInput(render_window)
    f.SetInputBufferTypeToRGB()
    f.ReadFrontBufferOff()
    f.Update()
    out = f.GetOutput()
    w, h, _ = out.GetDimensions()
    arr = numpy_support.vtk_to_numpy(out.GetPointData().GetScalars()).reshape(h, w, -1)
    return arr[::-1].copy()


def world_to_display(renderer: vtk.vtkRenderer, p: np.ndarray) -> tuple[float, float]:
    """Display position (x right, y up from the bottom) of an LPS point."""
    renderer.SetWorldPoint(float(p[0]), float(p[1]), float(p[2]), 1.0)
    renderer.WorldToDisplay()
    x, y, _ = renderer.GetDisplayPoint()
    return x, y
