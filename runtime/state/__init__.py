"""Deployment state: what each logical id of a stage is in the cloud, and what is in flight.

`sqlite` holds the record types, the `StateBackend` protocol and the embedded SQLite backend;
`s3` the team backend on S3 conditional writes; `backends` picks one from a location;
`locking` breaks a stale lock. May import `cloudforge.errors` only (and boto3 for S3, lazily).
"""
