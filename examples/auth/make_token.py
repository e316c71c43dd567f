"""Make a token the example accepts: `python make_token.py ann [plan]` (valid for an hour)."""

import os
import sys
import time

import jwt

SECRET = os.environ.get("JWT_SECRET", "change-me-to-a-long-random-secret-of-32-bytes")

if __name__ == "__main__":
    user = sys.argv[1] if len(sys.argv) > 1 else "ann"
    plan = sys.argv[2] if len(sys.argv) > 2 else "pro"
    print(jwt.encode({"sub": user, "plan": plan, "exp": int(time.time()) + 3600}, SECRET,
                     algorithm="HS256"))
