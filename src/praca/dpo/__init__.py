"""The DPO desk: every citizen submission as a case, with its thread, status and outcome."""
