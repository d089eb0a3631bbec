"""Flask extensions, created unbound and attached to an app in ``create_app``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mailman import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from payclaims.database import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address)
mail = Mail()

# Models subclass ``Model``: Flask-SQLAlchemy's model class at run time, which mypy sees as
# the declarative base it is built from.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
