"""Contract suites: one per store Protocol, subclassed per backend."""
