"""The first-run set-up wizard and the administrator's clinic settings."""
