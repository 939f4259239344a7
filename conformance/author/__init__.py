"""The test-author API: exchanges, partial templates, TCP connections."""
