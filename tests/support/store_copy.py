"""Fill a database server's store with the rows MLflow wrote into a cached sqlite store.

``python tests/support/store_copy.py KIND URI ARTIFACT_ROOT`` copies the cached
store ``KIND`` (``pages-sqlite``: see :func:`builders.cached_store`) into the empty
database at URI. MLflow creates the schema there (its own migrations, as for any
new store), then every row is copied as MLflow wrote it into sqlite. Building the
pages store with MLflow directly on PostgreSQL took 100-150 s of one test worker
(measured); this takes a few seconds and holds the same rows.
"""

from __future__ import annotations

import sys


def copy(kind: str, uri: str) -> None:
    import sqlalchemy as sa
    from builders import cached_store
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    source = sa.create_engine(f"sqlite:///{cached_store(kind) / 'mlflow.db'}")
    SqlAlchemyStore(uri, "/nonexistent-artifacts")  # the schema, by MLflow's migrations
    target = sa.create_engine(uri)
    src_meta, dst_meta = sa.MetaData(), sa.MetaData()
    src_meta.reflect(source)
    dst_meta.reflect(target)
    with source.connect() as read, target.begin() as write:
        for table in dst_meta.sorted_tables:
            if table.name == "alembic_version" or table.name not in src_meta.tables:
                continue
            rows = [dict(r._mapping) for r in read.execute(src_meta.tables[table.name].select())]
            write.execute(table.delete())
            if rows:
                booleans = [c.name for c in table.columns
                            if isinstance(c.type, sa.Boolean) and c.name in rows[0]]
                for row in rows:
                    for name in booleans:
                        if row[name] is not None:
                            row[name] = bool(row[name])
                write.execute(table.insert(), rows)
        if target.dialect.name == "postgresql":
            # serial ids continue after the copied ones, as after MLflow's own inserts
            for table in dst_meta.sorted_tables:
                for column in table.columns:
                    if column.autoincrement is True or (
                        column.primary_key and isinstance(column.type, sa.Integer)
                        and column.server_default is not None
                    ):
                        write.execute(sa.text(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', "
                            f"'{column.name}'), COALESCE((SELECT MAX({column.name}) "
                            f"FROM {table.name}), 0) + 1, false) "
                            f"WHERE pg_get_serial_sequence('{table.name}', "
                            f"'{column.name}') IS NOT NULL"))
    source.dispose()
    target.dispose()


if __name__ == "__main__":
    copy(sys.argv[1], sys.argv[2])
