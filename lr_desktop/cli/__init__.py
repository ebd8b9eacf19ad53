"""The headless command line. Each sub-command lives in its own module with a
`register(subparsers)` function that adds its parser and sets `func`."""
