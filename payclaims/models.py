"""Import every model so that the metadata (and so migrations) know every table."""

from payclaims.audit.models import AuditEvent
from payclaims.auth.models import User, UserRole

__all__ = ["AuditEvent", "User", "UserRole"]
