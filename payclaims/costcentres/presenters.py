"""What cost-centre pages show that needs a decision: whether a cost centre is open."""

from __future__ import annotations

from payclaims.costcentres.models import CostCentre
from payclaims.presenting import Tag, tag


def status_tag(cost_centre: CostCentre) -> Tag:
    """Open (green) or closed (grey)."""
    return tag("Open", "green") if cost_centre.is_active else tag("Closed", "grey")
