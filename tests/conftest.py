"""Shared test set-up: Hypothesis profiles chosen by HYPOTHESIS_PROFILE (default ``dev``)."""

import os

from hypothesis import HealthCheck, settings

_SUPPRESS = [HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large]

# ``ci`` draws more examples and is derandomized so a CI failure reproduces; ``dev`` is quick.
settings.register_profile(
    "ci", max_examples=60, deadline=None, derandomize=True, suppress_health_check=_SUPPRESS
)
settings.register_profile("dev", max_examples=25, deadline=None, suppress_health_check=_SUPPRESS)
# ``fuzz``: the differential fuzzer's long run (tests/properties/test_fuzz.py: 10,000+ programs)
settings.register_profile(
    "fuzz", max_examples=250, deadline=None, suppress_health_check=_SUPPRESS, print_blob=True
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

try:  # one torch thread: on 2 shared cores more threads only wait for each other
    import torch

    torch.set_num_threads(1)
except ImportError:  # torch is optional; its tests skip
    pass
