"""The one exception of the client."""


class LiaisonError(Exception):
    """The server refused a request, or it could not be reached.

    code: the server's stable error code, one of the names of ErrorCode in
        frame.proto ("BAD_SIGNATURE", "INVALID_ARGUMENT", ...), from the
        HTTP answer's body or an Error frame; for a stream the server
        closed, derived from the close code (1009 TOO_LARGE; 1002, 1003,
        1007, 1008 INVALID_ARGUMENT; 1013 RESOURCE_EXHAUSTED; any other
        UNAVAILABLE). On the client's side: "UNAVAILABLE" when no answer
        came (connection refused or lost, TLS failure, timeout),
        "DEADLINE_EXCEEDED" when the stream's Hello or Subscribe got no
        answer in time, "UNAUTHENTICATED" when the server's certificate
        does not verify against the CA, "INTERNAL" when the server sent a
        frame that does not decode, and "HTTP <status>" for an HTTP error
        whose body is not {"code", "message"}.
    message: the server's message, or what went wrong on the way.
    status: the HTTP status of an HTTPS answer or of a refused WebSocket
        upgrade; None on an open stream and when no answer came.
    """

    def __init__(self, code, message, status=None):
        where = "" if status is None else f" (HTTP {status})"
        super().__init__(f"{code}{where}: {message}")
        self.code = code
        self.message = message
        self.status = status

    @property
    def retryable(self):
        """True when the same request may succeed later unchanged."""
        return self.code in ("UNAVAILABLE", "RESOURCE_EXHAUSTED", "DEADLINE_EXCEEDED")
