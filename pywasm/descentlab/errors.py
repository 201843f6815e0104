"""The one exception a user ever sees from Descent Lab: a spec that cannot run."""


class SpecError(ValueError):
    """A spec field is missing, of the wrong type, or outside its allowed range.

    Attributes
    ----------
    field : str
        Dotted path of the offending field, e.g. ``"optimizers[1].lr"``.
    message : str
        What is wrong and what is allowed, e.g. ``"must be between 1e-06 and 10"``.
    """

    def __init__(self, field: str, message: str):
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")

    def to_dict(self) -> dict:
        return {"kind": "SpecError", "field": self.field, "message": self.message}
