"""The ``sauti`` command, one module per command group."""
