"""Registry jobs."""
