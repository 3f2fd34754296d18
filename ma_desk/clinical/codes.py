"""LOINC codes and canonical UCUM units of the vital signs (FHIR R4 vital-signs profile)."""

from __future__ import annotations

PANEL = "85353-1"
BP_PANEL = "85354-9"
SYSTOLIC = "8480-6"
DIASTOLIC = "8462-4"
HEART_RATE = "8867-4"
RESPIRATORY_RATE = "9279-1"
SPO2 = "2708-6"
SPO2_PULSE_OX = "59408-5"
TEMPERATURE = "8310-5"
HEIGHT = "8302-2"
HEAD_CIRCUMFERENCE = "9843-4"
WEIGHT = "29463-7"
BMI = "39156-5"
PAIN = "72514-3"

CANONICAL_UNIT = {
    SYSTOLIC: "mm[Hg]",
    DIASTOLIC: "mm[Hg]",
    HEART_RATE: "/min",
    RESPIRATORY_RATE: "/min",
    SPO2: "%",
    TEMPERATURE: "Cel",
    HEIGHT: "cm",
    HEAD_CIRCUMFERENCE: "cm",
    WEIGHT: "kg",
    BMI: "kg/m2",
    PAIN: "{score}",
}

NAMES = {
    SYSTOLIC: "Systolic BP",
    DIASTOLIC: "Diastolic BP",
    HEART_RATE: "Pulse",
    RESPIRATORY_RATE: "Respiratory rate",
    SPO2: "SpO2",
    TEMPERATURE: "Temperature",
    HEIGHT: "Height",
    HEAD_CIRCUMFERENCE: "Head circumference",
    WEIGHT: "Weight",
    BMI: "BMI",
    PAIN: "Pain",
}
