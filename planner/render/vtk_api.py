"""The VTK classes the program uses, each imported from its own module.

``import vtk`` loads every VTK module: a slower start and a frozen application several
times larger. The rendering back-ends (OpenGL, FreeType text, interactor styles) are
imported for their side effect: they register the classes VTK creates at run time.
"""

# ruff: noqa: F401
import vtkmodules.vtkInteractionStyle
import vtkmodules.vtkRenderingFreeType
import vtkmodules.vtkRenderingOpenGL2
from vtkmodules.vtkCommonCore import VTK_ID_TYPE, vtkPoints, vtkSMPTools
from vtkmodules.vtkCommonDataModel import vtkCellArray, vtkImageData, vtkPolyData
from vtkmodules.vtkCommonMath import vtkMatrix4x4
from vtkmodules.vtkFiltersCore import (vtkFlyingEdges3D, vtkPolyDataNormals,
                                       vtkQuadricDecimation, vtkReverseSense, vtkTubeFilter)
from vtkmodules.vtkFiltersSources import vtkLineSource, vtkSphereSource
from vtkmodules.vtkInteractionStyle import vtkInteractorStyleTrackballCamera
from vtkmodules.vtkInteractionWidgets import vtkOrientationMarkerWidget
from vtkmodules.vtkRenderingCore import (vtkActor, vtkActor2D, vtkImageSlice,
                                         vtkPolyDataMapper, vtkPolyDataMapper2D,
                                         vtkRenderer, vtkRenderWindow, vtkTextActor,
                                         vtkWindowToImageFilter)
from vtkmodules.vtkRenderingImage import vtkImageResliceMapper
