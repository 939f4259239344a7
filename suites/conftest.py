"""The suites use the netconform pytest plugin's fixtures: ex, dut, link, endpoints, bed."""
