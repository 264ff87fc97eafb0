"""Flask extensions, created unbound so that nothing imports the package root."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import Flask, current_app
from flask_caching import Cache
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, func, inspect, select
from sqlalchemy.exc import DBAPIError, IntegrityError
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


@dataclass(frozen=True)
class KeyWarning:
    """Why credentials signed now will not verify against the ones signed before (development only: production
    refuses to start instead)."""

    current: str  # publicKeyMultibase of the key in use
    recorded: str | None  # the key recorded in the database, when it differs
    created_file: str | None  # the key file created by this process, when certificates already existed
    certificates: int  # certificates in the database


@dataclass
class _IssuingState:
    issuer: Issuer | None = None
    created_file: Path | None = None  # the development key file this process created (not yet reported)
    matched: bool = False  # the key in use is the one recorded in the database
    warning: KeyWarning | None = None


class IssuerKeyMismatch(RuntimeError):
    """This host's signing key is not the one the database's credentials are signed with."""


class Issuing:
    """The issuer of the app, built from configuration once per app (the key is read from disk or the
    environment once per process), and its key compared with the one recorded in the database.

    The key's public half is recorded in `issuer_keys` on first use. Production checks it at start-up (when the
    database is reachable and migrated) and again on first use, and refuses a key that differs; development logs
    a warning and shows it on the admin home page, also when it has just created a key while certificates exist."""

    EXTENSION_KEY = "tracker.issuing"

    def init_app(self, app: Flask) -> None:
        app.extensions[self.EXTENSION_KEY] = _IssuingState()

    def _state(self, app: Flask) -> _IssuingState:
        return app.extensions[self.EXTENSION_KEY]

    def for_app(self, app: Flask) -> Issuer:
        state = self._state(app)
        if state.issuer is None:
            config = app.config
            key_file = config.get("ISSUER_KEY_FILE") or None
            key_pem = config.get("ISSUER_PRIVATE_KEY") or None
            dev_file = Path(app.instance_path) / signing.DEV_KEY_FILENAME
            creating = not config["PRODUCTION"] and not key_file and not (key_pem or "").strip()
            existed = dev_file.exists()
            key = signing.IssuerKey.load_or_create(
                key_file=key_file,
                key_pem=key_pem,
                instance_path=Path(app.instance_path),
                allow_create=not config["PRODUCTION"],
            )
            if creating and not existed:
                state.created_file = dev_file
            state.issuer = Issuer(config["PUBLIC_BASE_URL"].rstrip("/"), config["ORGANISATION_NAME"], key)
        return state.issuer

    @property
    def current(self) -> Issuer:
        app = current_app._get_current_object()
        issuer = self.for_app(app)
        if not self._state(app).matched:
            self.check_recorded_key(app)
        return issuer

    def warning(self, app: Flask) -> KeyWarning | None:
        """What the admin home page says about the signing key (development; None in production)."""
        if not app.config["PRODUCTION"]:
            self.current  # noqa: B018  (loading the key is what reveals a new one)
        return self._state(app).warning

    def start(self, app: Flask) -> None:
        """Production start-up: the key is loaded, and compared with the recorded one when the database can say."""
        self.for_app(app)
        with app.app_context():
            try:
                migrated = inspect(db.engine).has_table("issuer_keys")
            except DBAPIError:
                app.logger.warning("database unreachable at start-up: the issuer key is checked on first use")
                return
            try:
                if migrated:
                    try:
                        self.check_recorded_key(app)
                    except IssuerKeyMismatch as exc:
                        raise IssuerKeyMismatch(f"Refusing to start in production: {exc}") from None
                    db.session.commit()
                else:
                    app.logger.info("no issuer_keys table yet (run flask db upgrade): the key is recorded on first use")
            finally:
                db.session.remove()
                db.engine.dispose()  # no connection outlives start-up (workers may be forked from here)

    def check_recorded_key(self, app: Flask) -> None:
        """Record the key if the database has none; compare it otherwise. Works inside the caller's transaction
        (in a SAVEPOINT), so the record is kept when the caller commits: the first certificate's commit."""
        from .models import Certificate, IssuerKeyRecord  # models import this module

        state = self._state(app)
        current = self.for_app(app).key.public_key_multibase
        created_file = state.created_file
        for _attempt in range(2):
            try:
                with db.session.begin_nested():  # a failure here leaves the caller's transaction as it was
                    recorded_key = db.session.scalar(
                        select(IssuerKeyRecord.public_key_multibase).where(IssuerKeyRecord.id == 1)
                    )
                    found = recorded_key is not None
                    if not found:
                        db.session.add(IssuerKeyRecord(id=1, public_key_multibase=current))
                        db.session.flush()
                        recorded_key = current
                    certificates = (
                        db.session.scalar(select(func.count()).select_from(Certificate))
                        if created_file or recorded_key != current
                        else 0
                    )
                break
            except IntegrityError:  # another worker recorded its key meanwhile: compare with that one
                continue
            except DBAPIError:  # unreachable, or not migrated yet: nothing to compare with until it is
                return
        else:
            return
        state.created_file = None
        if recorded_key == current and not (created_file and certificates):
            # Recorded just now: checked again next time, until a commit (the first certificate's) has kept it.
            state.matched = found
            return
        if app.config["PRODUCTION"]:
            raise IssuerKeyMismatch(_mismatch_message(current, recorded_key))
        state.warning = KeyWarning(
            current=current,
            recorded=recorded_key if recorded_key != current else None,
            created_file=str(created_file) if created_file else None,
            certificates=certificates or 0,
        )
        state.matched = True  # warned once per process; the page keeps showing it
        if created_file and certificates:
            app.logger.warning(
                "A NEW ISSUER SIGNING KEY was created in %s although %d certificates exist: credentials signed from "
                "now on use key %s and the earlier ones no longer verify against did.json. Restore the previous key "
                "file from a backup, or set ISSUER_KEY_FILE to it.",
                created_file,
                certificates,
                current,
            )
        if recorded_key != current:
            app.logger.warning("%s", _mismatch_message(current, recorded_key))


def _mismatch_message(current: str, recorded: str) -> str:
    return (
        f"The issuer signing key of this host ({current}) is not the key this database's credentials are signed "
        f"with ({recorded}): credentials it signs would fail against the did.json of the other hosts. Every host "
        "must use the same ISSUER_KEY_FILE or ISSUER_PRIVATE_KEY; restore that key from the backup. If the key was "
        "replaced on purpose (every credential signed before will no longer verify), remove the recorded key (the "
        "one row of the issuer_keys table) and start again: the new key is recorded on first use."
    )


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address)
issuing = Issuing()
# Rendered page fragments, per process (see fragments.py).
fragments = Cache(config={"CACHE_TYPE": "SimpleCache"})
