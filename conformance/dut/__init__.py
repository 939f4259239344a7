"""The DUT socket APIs: POSIX-shaped calls run by the stack under test."""
