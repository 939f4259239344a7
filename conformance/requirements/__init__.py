"""The requirement vocabulary: the catalogue of RFC requirements, the profiles' refinements, and
where the oracle applies each rule."""
