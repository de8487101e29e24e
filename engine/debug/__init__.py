"""The stepping controller: the only way the service, the CLI and a GDB server drive the engine."""
