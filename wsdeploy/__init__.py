"""wsdeploy: Python WebSocket apps on API Gateway + Lambda, deployed without CloudFormation.

This file ships inside every Lambda package, so it must stay import-free.
"""

__version__ = "0.1.0"
