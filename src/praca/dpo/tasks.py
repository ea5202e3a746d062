"""DPO desk jobs."""
