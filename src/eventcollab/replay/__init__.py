"""Replaying the event log: the log read partition by partition, with progress that can be
interrupted and resumed (`log`, `progress`), and what is built on them."""
