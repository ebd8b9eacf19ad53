"""Qt item models of the window."""
