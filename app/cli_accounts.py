"""`maps user` and `maps org`: accounts from the command line, above all the first site admin
of a new installation. Register with `register(app)` in app/cli.py."""

from contextlib import contextmanager
from typing import Annotated

import typer

user_app = typer.Typer(help="Create accounts and issue password links.", no_args_is_help=True)
org_app = typer.Typer(help="Create organisations.", no_args_is_help=True)

UrlOption = Annotated[str, typer.Option(help="The address MAPS is served at, for the link")]


def register(app: typer.Typer) -> None:
    app.add_typer(user_app, name="user")
    app.add_typer(org_app, name="org")


@contextmanager
def _session():
    from sqlmodel import Session

    from app.config import Settings
    from app.db import make_engine
    from app.upgrade import upgrade

    settings = Settings()
    upgrade(settings.db_url)
    engine = make_engine(settings.db_url)
    try:
        with Session(engine) as session:
            yield session, settings
    finally:
        engine.dispose()


def _print_link(settings, session, user, url: str) -> None:
    from app.services import accounts

    token = accounts.issue_password_link(session, user=user, issued_by=None, settings=settings)
    typer.echo(f"Link to set the password of {user.email} (works once, for "
               f"{settings.password_link_hours} hours):\n  {url.rstrip('/')}/set-password/{token}")


def _fail(errors: dict[str, str]) -> None:
    for message in errors.values():
        typer.echo(message, err=True)
    raise typer.Exit(1)


@user_app.command("create-site-admin")
def create_site_admin(email: str, name: Annotated[str, typer.Option()] = "Site administrator",
                      url: UrlOption = "http://127.0.0.1:8000") -> None:
    """Create a site administrator and print the link to set their password."""
    from app.models import Role
    from app.services import accounts
    from app.services.errors import Invalid

    with _session() as (session, settings):
        try:
            user = accounts.create_user(session, organisation=None, name=name, email=email,
                                        role=Role.site_admin, created_by=None)
        except Invalid as exc:
            _fail(exc.errors)
        _print_link(settings, session, user, url)


@user_app.command("password-link")
def password_link(email: str, url: UrlOption = "http://127.0.0.1:8000") -> None:
    """Print a new one-time link to set the password of any account (site admins included)."""
    from sqlmodel import select

    from app.models import User
    from app.services.accounts import normalise_email

    with _session() as (session, settings):
        user = session.exec(select(User).where(User.email == normalise_email(email))).first()
        if user is None:
            _fail({"email": f"There is no account with the email address {email}"})
        _print_link(settings, session, user, url)


@org_app.command("create")
def create_org(name: str, admin_email: Annotated[str, typer.Option()],
               admin_name: Annotated[str, typer.Option()],
               url: UrlOption = "http://127.0.0.1:8000") -> None:
    """Create an organisation and its first admin, and print the admin's password link."""
    from app.services import accounts
    from app.services.errors import Invalid

    with _session() as (session, settings):
        try:
            _, admin = accounts.create_organisation(session, name=name, admin_name=admin_name,
                                                    admin_email=admin_email, created_by=None)
        except Invalid as exc:
            _fail(exc.errors)
        _print_link(settings, session, admin, url)
