"""The soak run: a steady load for a long time, and whether memory, tables and latency stay flat."""
