"""The import wizard (Administration menu) and the patient's FHIR export (Print menu)."""
