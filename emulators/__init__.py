"""Local emulators of the providers' HTTP APIs, following ../shared/docs/provider-contracts.md.

Used by the tests, the benchmarks and `make demo-emulated`; each binds 127.0.0.1 only.
"""
