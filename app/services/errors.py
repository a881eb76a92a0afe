"""The one exception services raise for input a person must correct."""


class Invalid(Exception):
    """Form input that cannot be saved: field name (the id the error summary links to) -> what
    is wrong and what to do."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors
