"""The one exception services raise for input a person must correct, and the database's own
refusal of a duplicate turned into it."""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session


class Invalid(Exception):
    """Form input that cannot be saved: field name (the id the error summary links to) -> what
    is wrong and what to do."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@contextmanager
def unless_taken(session: Session, errors: dict[str, str]) -> Iterator[None]:
    """Flush what the block adds; if the database refuses it as a duplicate (a name saved by
    another request between the check and the insert), roll back and raise Invalid with the
    form's own message, as the check before would have."""
    try:
        yield
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Invalid(errors) from None
