"""Configuration: production refuses unsafe settings and says what to set."""

import pytest

from app import create_app
from config import ConfigError, ProductionConfig, config_from_environment


def production(**overrides) -> type[ProductionConfig]:
    """A production config with a database and the given overrides."""
    settings = {"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x" * 48,
                "PUBLIC_BASE_URL": "https://report.example.lt", **overrides}
    return type("Production", (ProductionConfig,), settings)


@pytest.mark.parametrize("secret", ["", "change-me", "dev", "short-secret"])
def test_production_refuses_missing_default_or_short_secret(secret):
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app(production(SECRET_KEY=secret))


def test_production_refuses_weak_key_derivation():
    with pytest.raises(ConfigError, match="KDF_MEMORY_KIB"):
        create_app(production(KDF_MEMORY_KIB=1024))


def test_absurd_key_derivation_cost_is_refused():
    with pytest.raises(ConfigError, match="KDF_MEMORY_KIB"):
        create_app(production(KDF_MEMORY_KIB=4 * 1024 * 1024))


def test_unknown_surface_is_refused():
    with pytest.raises(ConfigError, match="SKAIDRA_SURFACE"):
        create_app(production(SKAIDRA_SURFACE="everything"))


def test_production_starts_with_a_strong_secret_and_uses_host_prefixed_secure_cookie():
    app = create_app(production())
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_NAME"].startswith("__Host-")


def test_configuration_defaults_to_production(monkeypatch):
    monkeypatch.delenv("SKAIDRA_CONFIG", raising=False)
    assert config_from_environment() is ProductionConfig


def test_unknown_configuration_name_is_refused(monkeypatch):
    monkeypatch.setenv("SKAIDRA_CONFIG", "staging")
    with pytest.raises(ConfigError, match="SKAIDRA_CONFIG"):
        config_from_environment()
