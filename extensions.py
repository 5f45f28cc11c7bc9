"""Flask extensions, created unbound; app.create_app binds them. Nothing here imports the app."""

from flask import has_request_context, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy as FlaskSQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
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


class SQLAlchemy(FlaskSQLAlchemy):
    """Flask-SQLAlchemy, whose paging no request can push beyond the databases' integers."""

    def paginate(self, select, *, page=None, **kwargs):
        """Flask-SQLAlchemy reads `?page=` itself and multiplies it into an OFFSET: `?page=10**20` would overflow
        SQLite's and PostgreSQL's 64-bit integers. A page beyond MAX_PAGE is as empty as any past the end."""
        if page is None and has_request_context():
            requested = request.args.get("page", type=int)
            if requested is not None and requested > MAX_PAGE:
                page = MAX_PAGE
        return super().paginate(select, page=page, **kwargs)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address)
