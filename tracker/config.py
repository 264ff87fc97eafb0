"""Settings, read from the environment. The defaults give a working development set-up on a bare machine."""

from __future__ import annotations

import math
import os
import secrets
from pathlib import Path
from typing import Any

from .certificates.signing import IssuerKey

SECRET_KEY_MIN_BITS = 128
SECRET_KEY_JUDGED_CHARS = 128  # zxcvbn's work grows with the square of the length; a longer key is judged by these
HOW_TO_MAKE_A_KEY = 'make one with: python -c "import secrets; print(secrets.token_urlsafe(32))"'


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _instance_secret_key(instance_path: Path) -> str:
    """A development key kept in the instance folder, so sessions survive restarts of `make run`."""
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def _number(name: str, default: float) -> float:
    value = os.environ.get(name, "").strip()
    return float(value) if value else default


def load_config(instance_path: Path) -> dict[str, Any]:
    env = os.environ.get("TRACKER_ENV", "development").strip().lower()
    production = env == "production"
    redis_url = os.environ.get("REDIS_URL", "").strip()
    database_url = os.environ.get("DATABASE_URL", "").strip() or f"sqlite:///{instance_path / 'tracker.db'}"
    secret_key = os.environ.get("SECRET_KEY", "").strip()
    if not secret_key and not production:
        secret_key = _instance_secret_key(instance_path)

    return {
        "ENV_NAME": env,
        "PRODUCTION": production,
        "DEBUG": _bool("FLASK_DEBUG", False),
        "SECRET_KEY": secret_key,
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
        "ORGANISATION_NAME": os.environ.get("ORGANISATION_NAME", "Example Organisation"),
        # The organisation's language (en, de or fr): for people who chose none, certificates and new courses.
        "DEFAULT_LANGUAGE": os.environ.get("DEFAULT_LANGUAGE", "en").strip().lower() or "en",
        # Whether people change the name printed on their certificates themselves (audited) instead of asking an admin.
        "CERTIFICATE_NAME_SELF_SERVICE": _bool("CERTIFICATE_NAME_SELF_SERVICE", False),
        # The address people reach the app at: printed on certificates (QR code) and used as the issuer's did:web.
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        # Ed25519 key that signs Open Badges credentials; every host must use the same one.
        "ISSUER_KEY_FILE": os.environ.get("ISSUER_KEY_FILE", ""),
        "ISSUER_PRIVATE_KEY": os.environ.get("ISSUER_PRIVATE_KEY", ""),
        # Number of proxies in front of the app whose X-Forwarded-For to trust (0: none).
        "PROXY_FIX_X_FOR": int(os.environ.get("PROXY_FIX_X_FOR", "0") or 0),
        "VERIFY_RATE_LIMIT": os.environ.get("VERIFY_RATE_LIMIT", "30 per minute"),
        # Quiz starts and submits per signed-in person (pages and API together): a script cannot hammer a quiz.
        "QUIZ_RATE_LIMIT": os.environ.get("QUIZ_RATE_LIMIT", "20 per minute"),
        "SEED_DATA_DIR": os.environ.get("SEED_DATA_DIR", str(Path(__file__).resolve().parent.parent / "seed_data")),
        # Rate limits: memory storage is per process; several workers must share Redis.
        "REDIS_URL": redis_url,
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "RATELIMIT_ENABLED": _bool("RATELIMIT_ENABLED", True),
        "RATELIMIT_HEADERS_ENABLED": True,
        # Sign-in limits (only wrong passwords count): free failures per account and client address, then a delay
        # that doubles with each further failure up to the maximum; failures are forgotten after the memory period
        # or at a successful sign-in. The looser per-address count guards against trying one password on many
        # accounts; set it high enough for an office behind one address.
        "LOGIN_FAILURES_BEFORE_DELAY": int(_number("LOGIN_FAILURES_BEFORE_DELAY", 5)),
        "LOGIN_ADDRESS_FAILURES_BEFORE_DELAY": int(_number("LOGIN_ADDRESS_FAILURES_BEFORE_DELAY", 100)),
        "LOGIN_FIRST_DELAY_SECONDS": _number("LOGIN_FIRST_DELAY_SECONDS", 1),
        "LOGIN_MAX_DELAY_SECONDS": _number("LOGIN_MAX_DELAY_SECONDS", 900),
        "LOGIN_FAILURE_MEMORY_HOURS": _number("LOGIN_FAILURE_MEMORY_HOURS", 24),
        # Sessions: signed out after this long without a request, and in any case this long after signing in.
        "SESSION_IDLE_TIMEOUT_MINUTES": _number("SESSION_IDLE_TIMEOUT_MINUTES", 30),
        "SESSION_LIFETIME_HOURS": _number("SESSION_LIFETIME_HOURS", 12),
        # How long a one-time password set by an admin works.
        "ONE_TIME_PASSWORD_HOURS": _number("ONE_TIME_PASSWORD_HOURS", 72),
        # Background jobs (Huey): Redis when JOBS_REDIS_URL (or REDIS_URL) is set, so consumers on any host share the
        # queue; otherwise a SQLite file in the instance folder, which needs nothing else (one host only).
        "JOBS_BACKEND": os.environ.get("JOBS_BACKEND", "").strip().lower()
        or ("redis" if (os.environ.get("JOBS_REDIS_URL", "").strip() or redis_url) else "sqlite"),
        "JOBS_REDIS_URL": os.environ.get("JOBS_REDIS_URL", "").strip() or redis_url,
        "JOBS_SQLITE_PATH": os.environ.get("JOBS_SQLITE_PATH", "").strip() or str(instance_path / "jobs.sqlite"),
        "JOBS_QUEUE_NAME": os.environ.get("JOBS_QUEUE_NAME", "tracker"),
        # A failed job runs again after JOBS_RETRY_DELAY seconds, each further pause twice the last.
        "JOBS_RETRIES": int(_number("JOBS_RETRIES", 3)),
        "JOBS_RETRY_DELAY": _number("JOBS_RETRY_DELAY", 30),
        # Files made by jobs (exports, ZIPs), kept this long for the person who asked.
        "JOB_FILES_DIR": os.environ.get("JOB_FILES_DIR", "").strip() or str(instance_path / "job-files"),
        "JOB_FILE_HOURS": _number("JOB_FILE_HOURS", 24),
        # A CSV export of more rows than this is made by a job; smaller ones download at once.
        "EXPORT_CSV_JOB_THRESHOLD": int(_number("EXPORT_CSV_JOB_THRESHOLD", 20000)),
        # The matrix chart of completions per month: counts kept per process, completed by the newly added rows,
        # and read whole again after this many seconds (0: read whole each time).
        "CHART_CACHE_SECONDS": _number("CHART_CACHE_SECONDS", 600),
        # Mail: SMTP when MAIL_SERVER is set; otherwise (development) messages stay in the outbox admins read.
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", "").strip(),
        "MAIL_PORT": int(_number("MAIL_PORT", 587)),
        "MAIL_USE_TLS": _bool("MAIL_USE_TLS", True),  # STARTTLS
        "MAIL_USE_SSL": _bool("MAIL_USE_SSL", False),  # TLS from the first byte (port 465)
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD", ""),
        "MAIL_DEFAULT_SENDER": os.environ.get("MAIL_DEFAULT_SENDER", "tracker <no-reply@localhost>"),
        "MAIL_TIMEOUT": _number("MAIL_TIMEOUT", 30),
        # Links that set a password: an invitation lasts days, a reset an hour; both die on use.
        "INVITATION_HOURS": _number("INVITATION_HOURS", 168),
        "PASSWORD_RESET_MINUTES": _number("PASSWORD_RESET_MINUTES", 60),
        "PASSWORD_RESET_RATE_LIMIT": os.environ.get("PASSWORD_RESET_RATE_LIMIT", "5 per 15 minutes"),
        # Notifications: the organisation's defaults (an assignment may set its own reminder days).
        "REMINDER_DUE_DAYS": os.environ.get("REMINDER_DUE_DAYS", "7,1"),
        "REMINDER_OVERDUE_REPEAT_DAYS": int(_number("REMINDER_OVERDUE_REPEAT_DAYS", 7)),
        "REMINDER_EXPIRING_DAYS": os.environ.get("REMINDER_EXPIRING_DAYS", "30,7"),
        "ESCALATION_OVERDUE_DAYS": int(_number("ESCALATION_OVERDUE_DAYS", 14)),
        "DIGEST_WEEKDAY": int(_number("DIGEST_WEEKDAY", 0)),  # 0 = Monday
        "NOTIFY_HOUR_UTC": int(_number("NOTIFY_HOUR_UTC", 6)),  # the daily reminders are sent from this hour on
        # Reminder kinds people cannot switch off (comma-separated, e.g. "overdue,escalation").
        "NOTIFICATIONS_MANDATORY": os.environ.get("NOTIFICATIONS_MANDATORY", "overdue"),
        # `__Host-` binds the cookie to this host over HTTPS only (no Domain, Path=/, Secure).
        "SESSION_COOKIE_NAME": "__Host-session" if production else "session",
        "SESSION_COOKIE_PATH": "/",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": production,
        "PREFERRED_URL_SCHEME": "https" if production else "http",
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session (its secret is renewed at sign-in)
        "MAX_CONTENT_LENGTH": 5 * 1024 * 1024,
        # werkzeug's method string for new password hashes (tests use a cheap one).
        "PASSWORD_HASH_METHOD": "scrypt",
        **identity_config(production),
    }


def _list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def identity_config(production: bool) -> dict[str, Any]:
    """Single sign-on (OpenID Connect), SCIM provisioning and two-factor sign-in (README: "Single sign-on")."""
    return {
        # The organisation's OpenID Connect provider: sign-in with it is offered when issuer and client id are set.
        "OIDC_ISSUER": os.environ.get("OIDC_ISSUER", "").strip().rstrip("/"),
        "OIDC_CLIENT_ID": os.environ.get("OIDC_CLIENT_ID", "").strip(),
        "OIDC_CLIENT_SECRET": os.environ.get("OIDC_CLIENT_SECRET", "").strip(),
        "OIDC_SCOPES": os.environ.get("OIDC_SCOPES", "openid email profile").strip(),
        # The name on the button: "Sign in with <name>".
        "OIDC_PROVIDER_NAME": os.environ.get("OIDC_PROVIDER_NAME", "").strip(),
        # New accounts are made at first sign-in for these email domains only (none: existing accounts only).
        "OIDC_ALLOWED_DOMAINS": [d.lower().lstrip("@") for d in _list("OIDC_ALLOWED_DOMAINS")],
        "OIDC_CLAIM_EMAIL": os.environ.get("OIDC_CLAIM_EMAIL", "email").strip(),
        "OIDC_CLAIM_EMAIL_VERIFIED": os.environ.get("OIDC_CLAIM_EMAIL_VERIFIED", "email_verified").strip(),
        # For providers that send no email_verified claim but own every address they send (Entra ID, one tenant).
        "OIDC_EMAILS_VERIFIED": _bool("OIDC_EMAILS_VERIFIED", False),
        "OIDC_CLAIM_NAME": os.environ.get("OIDC_CLAIM_NAME", "name").strip(),
        "OIDC_CLAIM_JOB_ROLE": os.environ.get("OIDC_CLAIM_JOB_ROLE", "job_title").strip(),
        # The claim naming the person's team, e.g. "department" (a name) or "groups" (the first that is a team).
        "OIDC_CLAIM_TEAM": os.environ.get("OIDC_CLAIM_TEAM", "").strip(),
        "OIDC_CLAIM_GROUPS": os.environ.get("OIDC_CLAIM_GROUPS", "groups").strip(),
        # Groups that make a person an admin or a manager at each sign-in (none set: roles are managed here).
        "OIDC_ADMIN_GROUPS": _list("OIDC_ADMIN_GROUPS"),
        "OIDC_MANAGER_GROUPS": _list("OIDC_MANAGER_GROUPS"),
        # Password sign-in: off leaves it to the break-glass accounts only (SSO for everyone else).
        "PASSWORD_SIGN_IN": _bool("PASSWORD_SIGN_IN", True),
        "BREAK_GLASS_EMAILS": [e.lower() for e in _list("BREAK_GLASS_EMAILS")],
        # SCIM 2.0 provisioning at /scim/v2: the bearer token the identity provider sends (none: SCIM is off).
        "SCIM_TOKEN": os.environ.get("SCIM_TOKEN", "").strip(),
        # The enterprise extension's department sets the team too (otherwise only groups do).
        "SCIM_DEPARTMENT_AS_TEAM": _bool("SCIM_DEPARTMENT_AS_TEAM", False),
        # Two-factor sign-in (TOTP) required of managers and admins who sign in with a password.
        "TWO_FACTOR_REQUIRED": _bool("TWO_FACTOR_REQUIRED", production),
        # A browser that passed the second factor is not asked again for this many days (0: ask every time).
        "TWO_FACTOR_REMEMBER_DAYS": _number("TWO_FACTOR_REMEMBER_DAYS", 30),
    }


def normalise_database_url(url: str) -> str:
    # Hosting platforms hand out postgres:// URLs; SQLAlchemy wants an explicit driver.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def secret_key_bits(key: str) -> float:
    """Estimated entropy of a secret key, in bits: log2 of the guesses zxcvbn (Dropbox's strength estimator) needs.

    zxcvbn is used because it prices what people actually type as a "random" key: repeats (`aaaa`, `abcabc`),
    sequences (`0123456789abcdef`), keyboard walks, dictionary words and dates; a plain length x log2(alphabet)
    count would rate `changeme-changeme-changeme-changeme` at over 200 bits (35 characters from lower-case letters
    and punctuation; zxcvbn: 27). What is left unexplained is priced as brute force at 10 guesses a character, so
    a truly random key is under-rated, never over-rated: `secrets.token_urlsafe(32)` (43 characters) estimates at
    about 140 bits, 32 hex digits (really 128) at about 102.
    """
    from zxcvbn import zxcvbn  # its word lists take a while to load: only production asks

    sample = key[:SECRET_KEY_JUDGED_CHARS]
    if not sample:
        return 0.0
    return float(zxcvbn(sample, max_length=SECRET_KEY_JUDGED_CHARS)["guesses_log10"]) * math.log2(10)


SCIM_TOKEN_MIN_LENGTH = 32


def identity_problems(config: dict[str, Any]) -> list[str]:
    """Single sign-on and provisioning settings that would be unsafe, or lock everyone out, in production."""
    problems = []
    issuer = config.get("OIDC_ISSUER") or ""
    if issuer and not issuer.startswith("https://"):
        problems.append("OIDC_ISSUER must be an https:// address")
    if issuer and not config.get("OIDC_CLIENT_ID"):
        problems.append("OIDC_ISSUER is set without OIDC_CLIENT_ID")
    if not config.get("PASSWORD_SIGN_IN", True):
        if not (issuer and config.get("OIDC_CLIENT_ID")):
            problems.append("PASSWORD_SIGN_IN is off but OIDC_ISSUER and OIDC_CLIENT_ID (single sign-on) are not set")
        if not config.get("BREAK_GLASS_EMAILS"):
            problems.append("PASSWORD_SIGN_IN is off: name at least one break-glass admin in BREAK_GLASS_EMAILS")
    token = config.get("SCIM_TOKEN") or ""
    if token and len(token) < SCIM_TOKEN_MIN_LENGTH:
        problems.append(f"SCIM_TOKEN must have at least {SCIM_TOKEN_MIN_LENGTH} characters; {HOW_TO_MAKE_A_KEY}")
    return problems


def check_production_config(config: dict[str, Any]) -> None:
    """Refuse to start a production app that would be unsafe or would sign with a key nobody can check."""
    if not config.get("PRODUCTION"):
        return
    problems = []
    if config.get("DEBUG"):
        problems.append("debug mode is on (unset FLASK_DEBUG)")
    key = config.get("SECRET_KEY") or ""
    if not key:
        problems.append(f"SECRET_KEY is not set; {HOW_TO_MAKE_A_KEY}")
    else:
        bits = secret_key_bits(key)
        if bits < SECRET_KEY_MIN_BITS:
            problems.append(
                f"SECRET_KEY is too guessable (about {bits:.0f} bits estimated, at least {SECRET_KEY_MIN_BITS} "
                f"needed); {HOW_TO_MAKE_A_KEY}"
            )
    if not config.get("REDIS_URL"):
        problems.append(
            "REDIS_URL is not set: without the Redis server that every worker shares, each worker process counts "
            "sign-in attempts on its own and the sign-in limits do not hold"
        )
    if not (config.get("ISSUER_KEY_FILE") or config.get("ISSUER_PRIVATE_KEY")):
        problems.append("set ISSUER_KEY_FILE or ISSUER_PRIVATE_KEY to the organisation's Ed25519 signing key")
    else:
        try:
            IssuerKey.load_or_create(
                key_file=config.get("ISSUER_KEY_FILE") or None,
                key_pem=config.get("ISSUER_PRIVATE_KEY") or None,
                instance_path=Path(),  # unused: production never creates a key
                allow_create=False,
            )
        except RuntimeError as exc:  # unreadable file, not PEM, not Ed25519: say which
            problems.append(str(exc))
    if not str(config.get("PUBLIC_BASE_URL", "")).startswith("https://"):
        problems.append("PUBLIC_BASE_URL must be the https:// address of the app")
    problems += identity_problems(config)
    if problems:
        raise RuntimeError("Refusing to start in production: " + "; ".join(problems))


def engine_options(database_url: str) -> dict[str, Any]:
    """A database server's connections are checked when taken from the pool (one dropped by a restart or a
    firewall is replaced, not failed on); an SQLite file has no connection to lose, so its pages skip that query."""
    return {} if database_url.startswith("sqlite") else {"pool_pre_ping": True}
