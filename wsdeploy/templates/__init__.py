"""Starter files that `wsdeploy init` writes (read with importlib.resources; never shipped to Lambda)."""
