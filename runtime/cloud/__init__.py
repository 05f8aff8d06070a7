"""The Cloud Control boundary: the checked boto3 client (`cloudcontrol`), request polling
(`polling`) and idempotency tokens (`tokens`). May import `cloudforge.errors` only; boto3 is
imported lazily, when the first call is made.
"""
