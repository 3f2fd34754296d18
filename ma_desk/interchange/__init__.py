"""Bringing a clinic's data in (CSV from the old system, FHIR R4) and taking it out (FHIR R4).

``csv_file`` reads an exported file whatever its encoding and delimiter;
``fields`` maps its columns to MA Desk fields; ``values`` parses the cells;
``rows`` turns one mapped row into clean values or a per-row message;
``fhir_out`` / ``fhir_in`` convert to and from FHIR R4 resources. The service
that checks permissions, matches, writes and audits is ma_desk/services/interchange.py.
"""
