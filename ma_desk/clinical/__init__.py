"""Clinical rules as plain functions: used by the UI, reports and tests alike."""
