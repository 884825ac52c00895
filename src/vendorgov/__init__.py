"""vendorgov: governed outsourced-service contracts for hospitals."""

import os

# Piccolo finds its engine and apps through this module (see piccolo_conf.py).
os.environ.setdefault("PICCOLO_CONF", "vendorgov.piccolo_conf")
