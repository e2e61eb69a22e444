"""Quality filters (``quality:*`` reasons): usefulness of a row, never a consent fact."""
