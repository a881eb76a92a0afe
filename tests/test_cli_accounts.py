"""`maps user` and `maps org` (app/cli_accounts.py): the first site admin of a new
installation, organisations, and password links from the command line."""

import re

import pytest
import typer
from typer.testing import CliRunner

from app.cli_accounts import register
from tests.conftest import FormClient

runner = CliRunner()


@pytest.fixture
def maps(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("MAPS_DATABASE_URL", database_url)
    monkeypatch.setenv("MAPS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MAPS_PASSWORD_TIME_COST", "1")
    monkeypatch.setenv("MAPS_PASSWORD_MEMORY_COST", "8192")
    app = typer.Typer()
    register(app)

    def run(*args):
        return runner.invoke(app, list(args))
    return run


def link_in(output: str) -> str:
    return re.search(r"https?://[^/\s]+(/set-password/\S+)", output).group(1)


def test_first_site_admin_then_an_organisation(maps, app):
    result = maps("user", "create-site-admin", "Root@Example.org",
                  "--url", "https://maps.example.org")
    assert result.exit_code == 0, result.output
    assert "https://maps.example.org/set-password/" in result.output
    with FormClient(app, follow_redirects=False) as browser:
        response = browser.post(link_in(result.output), data={
            "password": "a long enough password", "confirm": "a long enough password"})
        assert response.headers["location"] == "/dashboard"
        assert "Organisations" in browser.get("/dashboard").text
    result = maps("org", "create", "Southshire Council", "--admin-email", "sam@south.example",
                  "--admin-name", "Sam South")
    assert result.exit_code == 0, result.output
    assert "sam@south.example" in result.output
    again = maps("org", "create", "Southshire Council", "--admin-email", "x@south.example",
                 "--admin-name", "X")
    assert again.exit_code == 1
    assert "already an organisation" in again.output


def test_password_link_for_an_unknown_account(maps):
    result = maps("user", "password-link", "nobody@example.org")
    assert result.exit_code == 1
    assert "no account" in result.output
