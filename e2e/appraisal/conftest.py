"""The appraisal flows log in a dozen people (cadres, representatives, clerks) from one address.

The core counts every login attempt, successful or not, against a per-IP limit (10 per 15 minutes by
default), which a rating meeting behind one router would also hit. Until that is settled in the core,
the shared e2e server runs with a limit these flows stay under; set before the session server starts.
"""
import os

os.environ.setdefault("CIVIC_LOGIN_LIMIT", "300/15minutes")
