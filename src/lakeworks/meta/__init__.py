"""The metadata store (catalog): SQLAlchemy engine, ORM models, Alembic migrations.

ORM classes stay inside this package; services get frozen dataclasses from ``catalog``.
"""
