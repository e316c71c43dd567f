"""The runtime's errors: one base class, so callers can catch everything wsdeploy raises."""


class WebSocketError(Exception):
    """Base class of every error the wsdeploy runtime raises."""


class HandlerConfigurationError(WebSocketError):
    """The handlers are registered wrongly (missing routes, duplicates, bad keys, bad events)."""


class ConnectionGone(WebSocketError):
    """The client behind `connection_id` has disconnected (the gateway answered 410)."""

    def __init__(self, connection_id: str):
        super().__init__(f"connection {connection_id!r} is gone")
        self.connection_id = connection_id


class MessageTooLarge(WebSocketError):
    """The payload is over the gateway's 128 KB message limit."""

    def __init__(self, size: int, limit: int, refused_by_gateway: bool = False):
        if refused_by_gateway:
            text = f"the gateway refused the {size}-byte message as too large (413)"
        else:
            text = f"message is {size} bytes; the gateway accepts at most {limit} bytes"
        super().__init__(text)
        self.size = size
        self.limit = limit


class ManagementApiError(WebSocketError):
    """The @connections API refused a call for another reason (403, 429, 5xx...)."""

    def __init__(self, status: int, error_type: str, message: str, connection_id: str = ""):
        where = f"HTTP {status}" if status else "no HTTP answer"
        super().__init__(f"{error_type or 'error'} ({where})" + (f": {message}" if message else ""))
        self.status = status
        self.error_type = error_type
        self.connection_id = connection_id
