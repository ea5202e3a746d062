"""Privacy-preserving analytics of the public Wi-Fi: pseudonymised at the door, aggregated, then purged."""
