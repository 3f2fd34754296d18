"""Printed documents (ReportLab, no Qt): each builder takes plain dataclasses, returns PDF bytes."""
