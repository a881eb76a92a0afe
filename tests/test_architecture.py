"""The domain core stays plain Python: no web framework or database imports."""

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parent.parent / "app"
FORBIDDEN = ("fastapi", "starlette", "sqlmodel", "sqlalchemy", "jinja2", "app.models",
             "app.db", "app.web", "app.services")


@pytest.mark.parametrize("package", ["questionnaires", "scoring", "recommendations", "meeting"])
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


def test_the_database_module_imports_nothing_of_the_app():
    # app/db.py (engine, sessions, migrate) sits under everything else; making data after a
    # migration is app/upgrade.py's job, so migrating imports no service.
    tree = ast.parse((APP / "db.py").read_text())
    imported = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    imported += [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module]
    assert imported and not [name for name in imported if name.startswith("app")]
