"""Import every model so that the metadata (and so migrations) know every table."""

from payclaims.approvals.models import ApprovalDelegation, ClaimApproval
from payclaims.audit.models import AuditEvent
from payclaims.auth.models import User, UserRole
from payclaims.benefits.profile.models import BenefitProfile
from payclaims.benefits.rules.models import BenefitRule
from payclaims.claims.models import Claim, ClaimEvent, ClaimLine
from payclaims.costcentres.models import CostCentre
from payclaims.payments.models import PaymentRun, RemittanceSlip, RunClaim
from payclaims.people.models import BankDetails, OtherPaymentMethod
from payclaims.roles.models import RoleDescription, RoleVersion, SignUp
from payclaims.training.models import TrainingCourse, TrainingEvidence, TrainingRecord

__all__ = [
    "ApprovalDelegation",
    "AuditEvent",
    "BankDetails",
    "BenefitProfile",
    "BenefitRule",
    "Claim",
    "ClaimApproval",
    "ClaimEvent",
    "ClaimLine",
    "CostCentre",
    "OtherPaymentMethod",
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
