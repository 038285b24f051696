"""Course teams: who may edit, review and publish each course, and review comments."""
