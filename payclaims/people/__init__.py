"""People's own details: bank details (profiles and benefits profiles to follow)."""
