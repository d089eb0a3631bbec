"""The dated benefit rule figures: the catalogue of keys and seed figures, the table that
stores them, loading them for the engine, and the pages where finance admins change them."""
