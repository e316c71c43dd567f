"""One module per resource: the step handlers that create, update, adopt and delete it.

Each handler takes the run (`run.Run`) and its step, makes its AWS calls through `run.aws`,
and records the result with `run.put`; the executor saves the record after each step.
The registry (`kinds.py`) says which handler serves which kind and action.
"""
