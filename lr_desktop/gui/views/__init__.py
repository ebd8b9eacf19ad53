"""The window's sections."""
