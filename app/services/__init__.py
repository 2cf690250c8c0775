"""The domain: services own transactions, validation and (later) audit entries."""


class ServiceError(ValueError):
    """An input the user can correct; its message is translated and safe to show."""
