"""The local stack: moto as the AWS endpoint, and the real handlers behind an HTTP gateway."""
