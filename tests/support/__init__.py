"""Test scaffolding shared by tests/ and bench/: a throwaway Redis server, crawl workers as
subprocesses (not shipped in the wheel)."""
