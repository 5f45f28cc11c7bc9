"""Backups of the embedded SQLite database: a consistent copy taken while the app is serving.

PostgreSQL has its own tools (`pg_dump`, `pg_restore`; see the README's deployment section).
"""

from __future__ import annotations

import os
import secrets
import sqlite3
from pathlib import Path

from sqlalchemy.engine import URL, make_url


class BackupError(Exception):
    """The backup was not made; the message says why and what to do."""


def backup_database(database_url: str | URL, target: str | Path, *, force: bool = False) -> Path:
    """Copy the SQLite database at `database_url` to `target` with SQLite's online backup API.

    The copy is one snapshot of committed data, taken while other connections keep reading and
    writing. It is written to a temporary file beside `target` and moved into place only when
    complete, so `target` is never a half-written database. An existing `target` is replaced only
    with `force`. Every failure is a BackupError saying what went wrong.
    """
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        raise BackupError(
            f"flask backup copies SQLite databases only; this one is {url.get_backend_name()}. "
            "Back up PostgreSQL with pg_dump and restore it with pg_restore: the commands are under "
            '"Backups" in the README\'s deployment section.'
        )
    source = Path(url.database or "")
    if not url.database or url.database == ":memory:" or not source.is_file():
        raise BackupError(f"There is no SQLite database file at {url.database or '(memory)'}.")
    target = Path(target)
    if target.is_dir():
        raise BackupError(f"{target} is a directory; give the path of the backup file.")
    if not target.parent.is_dir():
        raise BackupError(f"The directory {target.parent} does not exist; create it first.")
    if target.exists() and not force:
        raise _exists(target)
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(8)}.tmp")
    try:
        try:
            _copy(source, temporary)
        except (OSError, sqlite3.Error) as error:
            raise BackupError(f"Could not copy the database to {target}: {error}") from error
        try:
            _move_into_place(temporary, target, force=force)
            _fsync_directory(target.parent)
        except OSError as error:
            raise BackupError(f"Could not put the backup in place at {target}: {error}") from error
    finally:
        temporary.unlink(missing_ok=True)
    return target


def _move_into_place(temporary: Path, target: Path, *, force: bool) -> None:
    """Rename the finished copy to `target`; without `force`, never over a file that appeared meanwhile."""
    if force:
        os.replace(temporary, target)
        return
    # A hard link fails if `target` appeared meanwhile, where a rename would silently replace it.
    try:
        os.link(temporary, target)
        return
    except FileExistsError as error:
        raise _exists(target) from error
    except (OSError, NotImplementedError):
        pass  # a filesystem without hard links (FAT, exFAT, some network and FUSE mounts)
    # Claim the name instead: O_EXCL fails if it exists, so the rename replaces only our own empty file.
    try:
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError as error:
        raise _exists(target) from error
    try:
        os.replace(temporary, target)
    except OSError:
        target.unlink(missing_ok=True)  # the empty file we claimed, never a backup
        raise


def _exists(target: Path) -> BackupError:
    return BackupError(f"{target} already exists; choose another path, or pass --force to replace it.")


def _copy(source: Path, destination: Path) -> None:
    # The source must exist (mode=rw: a mistyped path would otherwise create an empty database).
    # backup() copies every page in one step, so the copy is a single snapshot of committed data.
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=rw", uri=True)
    dst = sqlite3.connect(destination)
    try:
        src.execute("PRAGMA busy_timeout=30000")
        src.backup(dst)
        # One self-contained file: no -wal beside it to forget when the backup is copied elsewhere.
        dst.execute("PRAGMA journal_mode=DELETE")
    finally:
        dst.close()
        src.close()
    with open(destination, "rb") as written:
        os.fsync(written.fileno())


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
