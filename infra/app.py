#!/usr/bin/env python3
"""CDK entry point (`cdk.json`): `npx aws-cdk@2 deploy`, or `python infra/app.py` to synth."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# jsii warns on every run about the Node version it was not tested with; it still works.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")

from infra.stack import build_app  # noqa: E402

if __name__ == "__main__":
    build_app().synth()
