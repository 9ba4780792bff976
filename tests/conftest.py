"""Every test runs with the settings it states, never with EVENTCOLLAB_* from the caller's shell."""

import os

# Scrubbed at import, before any test module builds Settings; only the broker's address stays,
# so that the end-to-end tests reach the broker that scripts/test started.
for name in [n for n in os.environ if n.startswith("EVENTCOLLAB_") and n != "EVENTCOLLAB_BROKER"]:
    del os.environ[name]
