"""netconform: conformance and fuzz-testing harness for network stacks."""
