"""WSGI apps the web benchmark serves with gunicorn: the tracker on a given database, and the "floor" app.

The floor is the least a page of this stack can cost: a bare Flask endpoint doing one ORM `session.get` from SQLite
and rendering a small precompiled template. Pages are reported as multiples of it.
"""

from __future__ import annotations

import os

from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

TEMPLATE = "<!doctype html><title>{{ user.display_name }}</title><h1>Hello {{ user.display_name }}</h1><p>{{ n }}</p>"


def tracker():
    from tracker import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": os.environ["BENCH_DATABASE_URL"],
            "INSTANCE_PATH": os.environ["BENCH_INSTANCE"],
            "SECRET_KEY": "bench-secret-key-" + "b" * 40,
            "RATELIMIT_ENABLED": False,
            "WTF_CSRF_ENABLED": False,
        }
    )


class _Base(DeclarativeBase):
    pass


floor_db = SQLAlchemy(model_class=_Base)


class FloorPerson(floor_db.Model):
    __tablename__ = "floor_people"
    id: Mapped[int] = mapped_column(primary_key=True)
    display_name: Mapped[str] = mapped_column(String(100))


def floor():
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{os.environ['BENCH_INSTANCE']}/floor.db"
    floor_db.init_app(app)
    with app.app_context():
        floor_db.create_all()
        if floor_db.session.get(FloorPerson, 1) is None:
            floor_db.session.add(FloorPerson(id=1, display_name="Floor"))
            floor_db.session.commit()
    template = app.jinja_env.from_string(TEMPLATE)  # compiled once

    @app.route("/")
    def page():
        return template.render(user=floor_db.session.get(FloorPerson, 1), n=1)

    return app
