"""ppcdbg's engine: a POWER9-class (Power ISA v3.0B, Book3S) machine emulator."""
