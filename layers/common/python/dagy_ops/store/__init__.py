"""Repositories: the only code that speaks DynamoDB. Everything above them speaks models."""
