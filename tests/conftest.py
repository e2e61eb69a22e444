"""Suite-wide guard: no test may reach the internet.

`datasets.load_dataset` on a local folder still asks the Hugging Face Hub about the folder's
name unless told it is offline, and img2dataset would report to wandb if enabled. Both are set
offline for every test (and the subprocesses they start), before those libraries are imported.
"""

import os

for _name, _value in {
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "WANDB_MODE": "disabled",
    "DO_NOT_TRACK": "1",
}.items():
    os.environ[_name] = _value
