"""The person's own benefits profile and the what-if page built on it."""
