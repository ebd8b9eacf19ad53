"""Everything about talking to CleverTap: regions, config, secrets, payloads, client."""
