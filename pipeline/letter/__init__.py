"""Letter building blocks: pure helpers the letters are drafted with."""
