"""Staff account service: canonical e-mail, damaged key material, one-transaction roles."""

import logging

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Membership, User
from app.services import ServiceError
from app.services.accounts.users import create_user, find_user, password_unlocks

PASSWORD = "a-long-enough-password"


def test_lookup_uses_the_same_canonical_e_mail_as_creation(app):
    with app.app_context():
        create_user("Officer@Example.org", "Officer", PASSWORD)
        assert find_user("  officer@EXAMPLE.org ") is not None
        assert find_user("not an address") is None


def test_damaged_key_material_counts_as_wrong_password_and_is_logged(app, caplog):
    with app.app_context():
        user = create_user("officer@example.org", "Officer", PASSWORD)
        user.kdf_params = {"memory_kib": 64 * 1024 * 1024, "iterations": 3, "lanes": 4}
        db.session.commit()
        with caplog.at_level(logging.ERROR):
            assert password_unlocks(user, PASSWORD) is False
        assert "damaged" in caplog.text
        user.kdf_params = {"iterations": 1}
        user.wrapped_private_key = b"short"
        assert password_unlocks(user, PASSWORD) is False


def test_password_longer_than_the_limit_is_refused_and_nothing_is_saved(app):
    with app.app_context():
        with pytest.raises(ServiceError):
            create_user("officer@example.org", "Officer", "x" * 1025)
        assert db.session.scalars(select(User)).all() == []
        assert db.session.scalars(select(Membership)).all() == []
