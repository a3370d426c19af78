"""Appraisal module: see its issue; the manifest is the only thing the core knows of it."""
