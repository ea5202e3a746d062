"""The register of data-gathering devices in public space, and the citizen PrivacyApp."""
