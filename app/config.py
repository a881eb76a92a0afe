"""Settings read from MAPS_* environment variables, with defaults that work out of the box."""

import os
import secrets
from functools import cached_property
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.scoring.thresholds import DEFAULT_ANONYMITY_THRESHOLD, LEAST_ANONYMITY_THRESHOLD


def make_data_dir(path: Path) -> None:
    """The data directory, readable by MAPS's own user only (it holds the database, the key
    and the demo's links)."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MAPS_", extra="ignore")

    data_dir: Path = Path("data")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; SQLite under data_dir when unset"
    )
    secret_key_value: str | None = Field(default=None, alias="MAPS_SECRET_KEY")
    # The smallest group any round shows; coordinators may choose more, never fewer.
    min_anonymity_threshold: int = Field(default=DEFAULT_ANONYMITY_THRESHOLD,
                                         ge=LEAST_ANONYMITY_THRESHOLD)
    # What the form to open a round suggests.
    anonymity_threshold: int = Field(default=DEFAULT_ANONYMITY_THRESHOLD,
                                     ge=LEAST_ANONYMITY_THRESHOLD)
    https: bool = Field(default=False, description="Serve cookies with the Secure flag")

    # Mail is optional: without an SMTP host, links are shown to the admin or coordinator.
    smtp_host: str | None = Field(default=None, description="SMTP server; unset: no email")
    smtp_port: int = Field(default=587, description="465 means TLS from the start")
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = Field(default=True, description="Upgrade to TLS on ports other than 465")
    smtp_from: str = Field(default="MAPS <maps@localhost>", description="Sender of MAPS email")

    # Argon2id as OWASP's Password Storage Cheat Sheet recommends (its first configuration:
    # 19 MiB of memory, 2 iterations, 1 lane); tests lower them to keep the suite fast.
    password_time_cost: int = Field(default=2, ge=1, description="Iterations")
    password_memory_cost: int = Field(default=19_456, ge=8, description="KiB")
    password_parallelism: int = Field(default=1, ge=1, description="Lanes")
    sign_in_max_failures: int = Field(
        default=5, ge=1, description="Per email address and client address, per window")
    sign_in_max_failures_per_ip: int = Field(default=20, ge=1, description="Per address")
    sign_in_window_minutes: int = Field(default=15, ge=1)
    password_link_hours: int = Field(default=24, ge=1, description="Reset links expire")
    session_hours: int = Field(default=8, ge=1, description="How long a sign-in lasts")
    max_request_bytes: int = Field(default=5_000_000, ge=10_000, description="Largest request")
    # Report PDFs: each app process lays out this many at once (app/services/report_workers.py);
    # each is a CPU's work for seconds, so more than the process's share of CPUs only slows
    # the pages. A finished PDF is deleted after report_keep_days: a new one can always be made.
    report_workers: int = Field(default=2, ge=1, le=32, description="PDFs at once, per process")
    report_keep_days: int = Field(default=7, ge=1, description="Days a finished PDF is kept")
    # Who hears about accessibility problems, on the accessibility statement (/accessibility).
    accessibility_contact: str | None = Field(
        default=None, description="Email address for reporting accessibility problems")
    api_docs: bool = Field(default=False, description="Serve /api/docs to signed-in users")
    questionnaire_dirs_value: str = Field(
        default="", alias="MAPS_QUESTIONNAIRE_DIRS",
        description="More directories of questionnaire *.yaml files, separated by os.pathsep")

    @property
    def questionnaire_dirs(self) -> list[Path]:
        """The directories of MAPS_QUESTIONNAIRE_DIRS, separated as on PATH."""
        return [Path(part).expanduser()
                for part in self.questionnaire_dirs_value.split(os.pathsep) if part.strip()]

    @model_validator(mode="after")
    def _suggestion_meets_the_minimum(self):
        if self.anonymity_threshold < self.min_anonymity_threshold:
            raise ValueError(
                f"MAPS_ANONYMITY_THRESHOLD ({self.anonymity_threshold}) is below "
                f"MAPS_MIN_ANONYMITY_THRESHOLD ({self.min_anonymity_threshold}): raise it, or "
                "leave it unset")
        return self

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'maps.db').resolve()}"

    @cached_property
    def secret_key(self) -> str:
        """The configured key, else one generated on first run and kept in the data directory,
        so sessions survive restarts and no secret is ever hard-coded."""
        if self.secret_key_value:
            return self.secret_key_value
        path = self.data_dir / "secret_key"
        if not path.exists():
            # Written aside, then linked into place: worker processes starting together all
            # read the one complete key, never an empty or half-written file.
            make_data_dir(self.data_dir)
            draft = self.data_dir / f".secret_key.{os.getpid()}"
            fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as file:
                file.write(secrets.token_urlsafe(48))
            try:
                os.link(draft, path)
            except FileExistsError:
                pass
            finally:
                draft.unlink()
        key = path.read_text().strip()
        if not key:
            raise ValueError(f"{path} is empty: delete it, or set MAPS_SECRET_KEY")
        return key
