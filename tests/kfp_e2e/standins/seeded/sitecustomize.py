"""Test hook for the coin-flip sample: seed `random` from $COIN_SEED, so a flip's side is known.

Python imports `sitecustomize` at start-up when it is on PYTHONPATH; the sample's program is
unchanged (`python -c "import random; … random.randint(0,1) …"`).
"""

import os
import random

if os.environ.get("COIN_SEED") is not None:
    random.seed(int(os.environ["COIN_SEED"]))
