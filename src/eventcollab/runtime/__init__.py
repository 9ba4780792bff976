"""The processing runtime: each processor consumes, decides, publishes, stores and commits."""
