"""Import every model so that the metadata (and so migrations) know every table."""

from payclaims.audit.models import AuditEvent
from payclaims.auth.models import User, UserRole
from payclaims.benefits.models import BenefitRule
from payclaims.benefits.profile_models import BenefitProfile
from payclaims.claims.models import Claim, ClaimEvent, ClaimLine
from payclaims.costcentres.models import CostCentre
from payclaims.people.models import BankDetails
from payclaims.roles.models import RoleDescription, RoleVersion, SignUp
from payclaims.training.models import TrainingCourse, TrainingEvidence, TrainingRecord

__all__ = [
    "AuditEvent",
    "BankDetails",
    "BenefitProfile",
    "BenefitRule",
    "Claim",
    "ClaimEvent",
    "ClaimLine",
    "CostCentre",
    "RoleDescription",
    "RoleVersion",
    "SignUp",
    "TrainingCourse",
    "TrainingEvidence",
    "TrainingRecord",
    "User",
    "UserRole",
]
