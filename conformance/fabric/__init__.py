"""Namespace, veth and link plumbing: the tester and DUT namespaces, names and ownership of what
the harness creates, the reaper, the tester link and pcaps."""
