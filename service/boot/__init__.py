"""``ppcdbg boot``: an unmodified kernel on the pseries platform, its console on the terminal."""
