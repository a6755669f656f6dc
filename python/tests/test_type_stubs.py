"""The type stubs ship with the package and name every public name the module has.

mypy's stubtest (scripts/test, the "typing" step) checks the stubs' signatures against the module,
but skips names the package imports from its private submodules; this test catches those: each
public name of ``swiftssl`` must be defined or re-exported by the installed ``__init__.pyi``.
"""

import ast
import pathlib
import types

import swiftssl

PACKAGE = pathlib.Path(swiftssl.__file__).parent


def stub_names(path):
    """Names a stub defines or re-exports (``import x as x`` / ``from m import x as x``)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.Assign):
            names.update(target.id for target in node.targets if isinstance(target, ast.Name))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update(alias.asname for alias in node.names if alias.asname == alias.name.split(".")[-1])
    return names


def test_the_package_ships_py_typed_and_stubs():
    assert (PACKAGE / "py.typed").is_file()
    for stub in ("__init__.pyi", "_swiftssl.pyi", "run.pyi"):
        assert (PACKAGE / stub).is_file(), stub


def test_every_public_name_is_in_the_stub():
    # dir(), not vars(): names resolve on first use (PEP 562), vars() holds only those used so far.
    public = {name for name in dir(swiftssl)
              if not name.startswith("_") and not isinstance(getattr(swiftssl, name), types.ModuleType)}
    missing = sorted(public - stub_names(PACKAGE / "__init__.pyi"))
    assert not missing, f"add these to python/swiftssl/__init__.pyi: {missing}"
