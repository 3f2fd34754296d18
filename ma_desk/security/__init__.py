"""Sign-in and key-management helpers that have no Qt and no SQL: passwords, witness file."""
