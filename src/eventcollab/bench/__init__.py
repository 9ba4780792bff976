"""The throughput benchmark: eventcollab's worker shapes against a raw aiokafka pipeline."""
