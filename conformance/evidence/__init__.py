"""Evidence collected from a target around each test (MIB counters, kernel drop reasons)."""
