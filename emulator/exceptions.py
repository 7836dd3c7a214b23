"""The one error type the API layer answers with."""


class ApiError(Exception):
    """An API error, answered as `{"Response": {"Error": {"Code", "Message"}}}`."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
