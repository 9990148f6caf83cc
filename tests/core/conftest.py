from tests.core.hub_env import env  # noqa: F401  (the loopback Hub, for the hub_* tests)
