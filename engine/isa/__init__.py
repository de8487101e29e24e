"""The Power ISA v3.0B as data: forms, the instruction table, the decoder."""
