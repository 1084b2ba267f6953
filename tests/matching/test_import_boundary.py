"""matching/ is a library: it must run with no Django and no app code loaded."""

import ast
import pathlib
import subprocess
import sys

MATCHING = pathlib.Path(__file__).resolve().parents[2] / "matching"
FORBIDDEN = ("django", "skills_app", "taxonomy", "ninja")


def test_no_forbidden_import_statements():
    offenders = []
    for path in MATCHING.rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in FORBIDDEN]
    assert not offenders, offenders


def test_importing_every_module_loads_no_django():
    """Catches indirect imports too (a helper that pulls Django in)."""
    modules = [
        "matching." + ".".join(p.relative_to(MATCHING).with_suffix("").parts)
        for p in MATCHING.rglob("*.py")
        if p.name != "__init__.py"
    ]
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "import matching\n"
        f"bad = [m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r}]\n"
        "assert not bad, bad\n"
    )
    env = {"PYTHONPATH": str(MATCHING.parent), "PATH": ""}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
