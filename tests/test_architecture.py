"""The domain core stays plain Python: no web framework or database imports."""

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parent.parent / "app"
FORBIDDEN = ("fastapi", "starlette", "sqlmodel", "sqlalchemy", "jinja2", "app.models",
             "app.db", "app.web", "app.services")


@pytest.mark.parametrize("package", ["questionnaires", "scoring", "recommendations"])
def test_domain_packages_import_no_web_or_database_code(package):
    files = list((APP / package).glob("*.py"))
    if not files:
        pytest.skip(f"app/{package} has no Python modules yet")
    for path in files:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert not name.startswith(FORBIDDEN), f"{path.name} imports {name}"
