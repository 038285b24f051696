"""Learner records an admin can correct: details, enrolments, attempts, and requests."""
