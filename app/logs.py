"""Logs that never carry a secret: invite, set-password and carry-on tokens in paths, and
secrets in query strings, are redacted from uvicorn's access log and from every other line
MAPS logs."""

import logging
import re

REDACTED = "[redacted]"
# /r/<invite token>/..., /set-password/<token>, .../carry-on/<key>: the token is the whole
# credential.
_PATH_TOKENS = re.compile(r"(/(?:r|set-password|carry-on)/)[^/?#\s\"']+")
# ?token=...&password=...: any query parameter whose name says it holds a secret.
_QUERY_SECRETS = re.compile(
    r"([?&][^=&\s\"']*(?:token|password|secret|key|code|session|auth)[^=&\s\"']*=)"
    r"[^&#\s\"']*", re.IGNORECASE)


def redact(text: str) -> str:
    return _QUERY_SECRETS.sub(rf"\1{REDACTED}", _PATH_TOKENS.sub(rf"\1{REDACTED}", text))


class RedactSecrets(logging.Filter):
    """Rewrites each record in place. uvicorn's access lines keep their argument tuple (its
    formatter reads the path from it); other records are formatted once, then redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "uvicorn.access" and isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
            return True
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed call: leave it to logging to report
            return True
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


_REDACTOR = RedactSecrets()
LOGGERS = ("uvicorn.access", "uvicorn.error", "uvicorn", "maps", "sqlalchemy", "")


def install() -> None:
    """On the loggers MAPS and uvicorn write to, and on every handler already there (so a
    child logger's lines, which skip their parents' filters, are caught at the handler)."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        for target in (logger, *logger.handlers):
            if _REDACTOR not in target.filters:
                target.addFilter(_REDACTOR)


def uvicorn_log_config() -> dict:
    """uvicorn's own logging configuration with the filter on its handlers, for `maps serve`."""
    from uvicorn.config import LOGGING_CONFIG

    config = {**LOGGING_CONFIG, "filters": {"redact": {"()": RedactSecrets}}}
    config["handlers"] = {name: {**handler, "filters": ["redact"]}
                          for name, handler in LOGGING_CONFIG["handlers"].items()}
    return config
