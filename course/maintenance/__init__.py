"""Database care: backups and restores, and the data-invariant checker with its repair."""
