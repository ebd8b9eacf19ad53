"""Bundled HTTP emulators (CleverTap, Linkrunner) for tests, benchmarks and the demo."""
