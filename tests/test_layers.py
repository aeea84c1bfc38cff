"""core, io and model must import and work with PySide6 and VTK absent (DESIGN.md)."""

import subprocess
import sys
import textwrap


def test_core_io_model_import_without_qt_and_vtk():
    code = textwrap.dedent("""
        import sys
        for name in ("PySide6", "vtk", "vtkmodules"):
            sys.modules[name] = None          # any import of them now fails
        import pkgutil, importlib, planner
        for pkg in ("planner.core", "planner.io", "planner.model"):
            mod = importlib.import_module(pkg)
            for info in pkgutil.walk_packages(mod.__path__, pkg + "."):
                importlib.import_module(info.name)
        from planner.core.phantom import PhantomSpec, SpinePhantom
        v = SpinePhantom(PhantomSpec(levels=("L1",), spacing=(3.0, 3.0, 3.0))).render()
        assert v.array.ndim == 3
        print("ok")
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_package_import_is_light():
    """Heavy libraries load where used, not when the package or the CLI is imported."""
    code = ("import sys, planner, planner.cli; "
            "print(sorted(m for m in ('vtk', 'PySide6', 'nibabel', 'scipy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
