"""CDK stacks, one per concern: data, processing, api, monitoring."""
