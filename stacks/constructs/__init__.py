"""CDK pieces every stack shares: the standard function and the two layers."""
