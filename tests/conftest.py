"""Shared test set-up: Hypothesis profiles chosen by HYPOTHESIS_PROFILE (default ``dev``)."""

import os

# One BLAS thread per test process (and the subprocesses tests start): the suite runs two
# xdist workers on 2 cores, and OpenBLAS threads that wait for a busy core cost up to 2 s per
# call (a conv backward measured 1.97 s with 2 threads under load, 0.03 s with 1).
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from hypothesis import HealthCheck, settings  # noqa: E402

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
