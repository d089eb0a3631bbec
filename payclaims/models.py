"""Import every model so that the metadata (and so migrations) know every table."""

from payclaims.audit.models import AuditEvent
from payclaims.auth.models import User, UserRole
from payclaims.claims.models import Claim, ClaimEvent, ClaimLine
from payclaims.costcentres.models import CostCentre
from payclaims.payments.models import PaymentRun, RemittanceSlip, RunClaim
from payclaims.people.models import BankDetails
from payclaims.roles.models import RoleDescription, RoleVersion, SignUp
from payclaims.training.models import TrainingCourse, TrainingEvidence, TrainingRecord

__all__ = [
    "AuditEvent",
    "BankDetails",
    "Claim",
    "ClaimEvent",
    "ClaimLine",
    "CostCentre",
    "PaymentRun",
    "RemittanceSlip",
    "RoleDescription",
    "RoleVersion",
    "RunClaim",
    "SignUp",
    "TrainingCourse",
    "TrainingEvidence",
    "TrainingRecord",
    "User",
    "UserRole",
]
