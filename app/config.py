"""Settings read from MAPS_* environment variables, with defaults that work out of the box."""

import secrets
from functools import cached_property
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MAPS_", extra="ignore")

    data_dir: Path = Path("data")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; SQLite under data_dir when unset"
    )
    secret_key_value: str | None = Field(default=None, alias="MAPS_SECRET_KEY")
    anonymity_threshold: int = Field(default=3, ge=1)
    https: bool = Field(default=False, description="Serve cookies with the Secure flag")

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
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600)
            path.write_text(secrets.token_urlsafe(48))
        return path.read_text().strip()
