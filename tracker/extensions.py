"""Flask extensions, created unbound so that nothing imports the package root."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import Flask, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from .certificates import signing

# Stable constraint names make migrations reproducible on SQLite and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


@dataclass(frozen=True)
class Issuer:
    """The organisation as the issuer of credentials: its public address, name and Ed25519 signing key."""

    base_url: str
    organisation_name: str
    key: signing.IssuerKey

    @property
    def did(self) -> str:
        return signing.did_web(self.base_url)

    def verify_url(self, code: str) -> str:
        return f"{self.base_url}/verify/{code}"

    def credential_url(self, code: str) -> str:
        return f"{self.base_url}/certificates/{code}/credential.json"

    @property
    def status_list_url(self) -> str:
        """The public revocation list (W3C Bitstring Status List) every credential points at."""
        return f"{self.base_url}/credentials/status/revocation"


class Issuing:
    """The issuer of the app, built from configuration once per app (the key is read from disk or the
    environment once per process)."""

    EXTENSION_KEY = "tracker.issuing"

    def init_app(self, app: Flask) -> None:
        app.extensions[self.EXTENSION_KEY] = {"issuer": None}

    def for_app(self, app: Flask) -> Issuer:
        state = app.extensions[self.EXTENSION_KEY]
        if state["issuer"] is None:
            config = app.config
            key = signing.IssuerKey.load_or_create(
                key_file=config.get("ISSUER_KEY_FILE") or None,
                key_pem=config.get("ISSUER_PRIVATE_KEY") or None,
                instance_path=Path(app.instance_path),
                allow_create=not config["PRODUCTION"],
            )
            state["issuer"] = Issuer(config["PUBLIC_BASE_URL"].rstrip("/"), config["ORGANISATION_NAME"], key)
        return state["issuer"]

    @property
    def current(self) -> Issuer:
        return self.for_app(current_app._get_current_object())


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address)
issuing = Issuing()
