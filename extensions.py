"""Flask extensions, created unbound; app.create_app binds them. Nothing here imports the app."""

from flask import has_request_context, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy as FlaskSQLAlchemy
from flask_sqlalchemy.pagination import SelectPagination
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData, Select, func
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


#: deeper pages than this are not useful, and the offset must stay far from the databases' integer limits
MAX_PAGE = 100_000


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class WindowPagination(SelectPagination):
    """Flask-SQLAlchemy's page of a select, whose total rides along with the page's rows (COUNT(*) OVER ()) instead
    of costing a second statement; only a page with no rows to carry it (past the end) counts separately.

    `item` turns each row (the select's columns by name, then the total) into an item; without it a page holds
    the select's first column, as Flask-SQLAlchemy's does (`scalars()`).
    """

    def _query_items(self) -> list:
        select = self._query_args["select"]
        counted = select.add_columns(func.count().over()).limit(self.per_page).offset(self._query_offset)
        rows = self._query_args["session"].execute(counted).unique().all()
        self._total = rows[0][-1] if rows else None
        item = self._query_args.get("item") or (lambda row: row[0])
        return [item(row) for row in rows]

    def _query_count(self) -> int:
        if self._total is not None:
            return self._total
        if self.page == 1:
            return 0
        return super()._query_count()


class SQLAlchemy(FlaskSQLAlchemy):
    """Flask-SQLAlchemy, whose paging counts with the page's own statement and no request can push beyond the
    databases' integers."""

    def paginate(self, select, *, page=None, item=None, **kwargs):
        """Flask-SQLAlchemy reads `?page=` itself and multiplies it into an OFFSET: `?page=10**20` would overflow
        SQLite's and PostgreSQL's 64-bit integers. A page beyond MAX_PAGE is as empty as any past the end.

        A plain select is paged by WindowPagination (`item` makes each row an item, see there); a DISTINCT one,
        whose window would count the rows before DISTINCT takes duplicates out, by Flask-SQLAlchemy's two statements.
        """
        if page is None and has_request_context():
            requested = request.args.get("page", type=int)
            if requested is not None and requested > MAX_PAGE:
                page = MAX_PAGE
        if not isinstance(select, Select) or select._distinct or select._distinct_on:
            if item is not None:
                raise TypeError("item needs a plain select")
            return super().paginate(select, page=page, **kwargs)
        kwargs.setdefault("max_per_page", None)  # as Flask-SQLAlchemy's paginate
        return WindowPagination(select=select, session=self.session(), page=page, item=item, **kwargs)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address)
