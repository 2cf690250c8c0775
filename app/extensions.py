"""Extension singletons, bound to the app in ``create_app``."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Declarative base of every Skaidra model."""


def _no_client_key() -> str:
    """Rate-limit key that identifies no one: limits apply to a route as a whole.

    The default key function of Flask-Limiter is the client address, which would put every
    reporter's IP address into the limiter's storage. Per-route limits that need to tell
    clients apart use keys of their own (a derived value, never an address).
    """
    return "all"


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
babel = Babel()
csrf = CSRFProtect()
limiter = Limiter(key_func=_no_client_key)
