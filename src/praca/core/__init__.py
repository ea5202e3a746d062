"""Cross-cutting pieces every module uses; `core` imports no domain module."""
