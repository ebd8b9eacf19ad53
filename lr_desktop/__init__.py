"""Linkrunner Desktop: keeps CleverTap in step with Linkrunner attribution data."""

__version__ = "0.1.0"
APP_NAME = "Linkrunner Desktop"
APP_ID = "lr-desktop"
