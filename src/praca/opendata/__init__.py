"""The open data portal: catalog, DCAT-AP, CKAN-compatible API, query API and the publication gate."""
