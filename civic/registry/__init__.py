"""The registry: district → street office → community → group / grid → household → resident."""
