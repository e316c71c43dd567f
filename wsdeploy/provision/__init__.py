"""Creates, updates and deletes a stage's AWS resources with direct boto3 calls.

Layers: `desired` (what should exist), `observe` (what exists, by as few reads as will do),
`planner` (pure: the steps between the two), `executor` (runs the steps, recording each in the
state file), `aws` (the one boto3 caller). `deploy`, `teardown` and `status` put them together
for the CLI's `up`, `down` and `status`.
"""
