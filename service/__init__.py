"""ppcdbg's service layer: the CLI now, the REST/WebSocket API later."""
