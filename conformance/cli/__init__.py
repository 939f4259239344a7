"""The pytest plugin and the ``netconform`` command line, and the run's outputs."""
