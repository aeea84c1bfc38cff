import pytest
import vtk

SIZE = 240


@pytest.fixture
def render_window():
    """An off-screen render window SIZE pixels square, finalised after the test."""
    rw = vtk.vtkRenderWindow()
    rw.SetOffScreenRendering(1)
    rw.SetSize(SIZE, SIZE)
    yield rw
    rw.Finalize()
