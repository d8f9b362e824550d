"""The benchmark's own PostgreSQL databases: created when missing, migrated on every run
(cheap when nothing is pending), and seeded with ``seed_scale`` once, when empty."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import environ
import psycopg2
from psycopg2 import sql

BASE_DIR = Path(__file__).resolve().parent.parent


def _connect(config: dict, dbname: str):
    return psycopg2.connect(
        dbname=dbname,
        user=config.get("USER") or None,
        password=config.get("PASSWORD") or None,
        host=config.get("HOST") or None,
        port=config.get("PORT") or None,
    )


def _create_if_missing(config: dict, *, drop_first: bool = False) -> bool:
    """Create the database named in ``config`` (dropping it first when asked); True when
    it was created."""
    server = _connect(config, "postgres")
    server.autocommit = True
    try:
        with server.cursor() as cursor:
            if drop_first:
                cursor.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(config["NAME"]))
                )
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]])
            if cursor.fetchone():
                return False
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"])))
            return True
    finally:
        server.close()


def people_count(url: str) -> int:
    """Staff profiles in the database (0 when it has no tables yet)."""
    config = environ.Env.db_url_config(url)
    connection = _connect(config, config["NAME"])
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass('departments_staffprofile') IS NOT NULL")
            if not cursor.fetchone()[0]:
                return 0
            cursor.execute("SELECT count(*) FROM departments_staffprofile")
            return cursor.fetchone()[0]
    finally:
        connection.close()


def _manage(url: str, *arguments: str) -> None:
    # The product's own settings: seeding and migrations need nothing of the bench's.
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings"}
    subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, str(BASE_DIR / "manage.py"), *arguments],
        cwd=BASE_DIR,
        env=env,
        check=True,
    )


def prepare(url: str, *, people: int, days: int, seed: int, reseed: bool = False, log=print) -> int:
    """Create, migrate and (when empty) seed the database at ``url``; returns its people.
    ``reseed`` drops the database first (after ``seed_scale`` itself changed)."""
    config = environ.Env.db_url_config(url)
    if not config["ENGINE"].endswith("postgresql"):
        raise SystemExit(f"The benchmark needs PostgreSQL, not {config['ENGINE']} ({url}).")
    if _create_if_missing(config, drop_first=reseed):
        log(f"Created database {config['NAME']}.")
    _manage(url, "migrate", "--noinput", "--verbosity", "0")
    found = people_count(url)
    if found:
        log(f"Database {config['NAME']} holds {found:,} people; not seeding again.")
    else:
        log(
            f"Seeding {config['NAME']}: seed_scale --people {people} --days {days} "
            f"--seed {seed} (once; later runs reuse it)."
        )
        _manage(
            url, "seed_scale", "--people", str(people), "--days", str(days), "--seed", str(seed)
        )
        found = people_count(url)
    vacuum(config, log=log)
    return found


def vacuum(config: dict, *, log=print) -> None:
    """``VACUUM (ANALYZE)``: what autovacuum does on a production server. A server run
    with autovacuum off (as CI's is) would otherwise measure the rows every earlier run's
    jobs rewrote, and a freshly seeded table whose index-only scans still visit the heap."""
    connection = _connect(config, config["NAME"])
    connection.autocommit = True  # VACUUM cannot run inside a transaction
    try:
        with connection.cursor() as cursor:
            cursor.execute("SHOW autovacuum")
            log(f"Vacuuming {config['NAME']} (autovacuum is {cursor.fetchone()[0]} here) ...")
            cursor.execute("VACUUM (ANALYZE)")
    finally:
        connection.close()
