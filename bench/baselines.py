"""The load benchmark's two baselines, served by gunicorn with Hearth's own config.

``bare_app()``: Flask answering a small JSON object, nothing else: the ceiling of any Flask
endpoint on this machine. ``orm_app()``: Flask + Flask-SQLAlchemy doing one primary-key
SELECT (GET /items/<id>) or one INSERT and COMMIT (POST /items) per request, on the same
database and pool settings as Hearth: the floor of an endpoint that touches the database.
Both read BENCH_DATABASE_URL; both ignore the Authorization header wrk sends.
"""

from __future__ import annotations

import os

from flask import Flask, jsonify, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def bare_app() -> Flask:
    """A Flask app whose only endpoint answers a small JSON object."""
    app = Flask("bare")

    @app.get("/ping")
    def ping():  # type: ignore[no-untyped-def]
        return jsonify({"ok": True, "id": 1, "name": "bare"})

    return app


class _Base(DeclarativeBase):
    pass


class Item(_Base):
    __tablename__ = "bench_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    note: Mapped[str] = mapped_column(String(200))


def orm_app() -> Flask:
    """Flask + SQLAlchemy: one primary-key SELECT or one INSERT per request."""
    app = Flask("orm")
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["BENCH_DATABASE_URL"]
    db = SQLAlchemy(model_class=_Base)
    db.init_app(app)

    @app.get("/items/<int:item_id>")
    def get_item(item_id: int):  # type: ignore[no-untyped-def]
        item = db.session.get(Item, item_id)
        return jsonify({"id": item.id, "note": item.note} if item else {})

    @app.post("/items")
    def add_item():  # type: ignore[no-untyped-def]
        item = Item(note=(request.get_json(silent=True) or {}).get("note", "x"))
        db.session.add(item)
        db.session.commit()
        return jsonify({"id": item.id, "note": item.note}), 201

    return app
