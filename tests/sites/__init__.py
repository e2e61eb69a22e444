"""Simulated-web site declarations used only by the tests (not shipped in the wheel)."""
