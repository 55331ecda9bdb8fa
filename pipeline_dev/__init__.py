"""Development tooling, not shipped to Lambda: the demo driver, sample and synthetic media,
benchmarks, fuzzing, the fault suite and cold-start timing. The `pipeline` CLI imports these
modules lazily, only for the commands that use them."""
