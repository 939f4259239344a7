"""The reference stack: a pure, sans-IO, RFC-cited model of TCP/IP used as the oracle."""
