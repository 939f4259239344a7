"""The one judge: the oracle for a test bed, prediction matching, the divergence type and the
timeline replay, shared by the suites and every fuzz engine."""
