"""Rules configuration: the legal regime and a province/city profile, versioned."""
