"""A stage for the state-command tests: a bucket, QUEUES queues awaited one after the other
(a chain by timing alone), a policy on the bucket, a secret, and three outputs.

$FIRST_QUEUE renames the first queue's logical id (a refactor `cloudforge state mv` follows).
"""

import asyncio
import os

from cloudforge import App
from cloudforge.aws.s3 import Bucket, BucketPolicy
from cloudforge.aws.secretsmanager import Secret
from cloudforge.aws.sqs import Queue

QUEUES = int(os.environ.get("QUEUES", "3"))
SECRET = "hunter2-very-secret"


async def main() -> None:
    async with App("shop") as app:
        bucket = await Bucket("data", BucketName="shop-data")
        for i in range(QUEUES):
            name = os.environ.get("FIRST_QUEUE", "q00") if i == 0 else f"q{i:02d}"
            await Queue(name, QueueName=f"shop-q{i:02d}")
        await BucketPolicy(
            "policy",
            Bucket=bucket.BucketName,
            PolicyDocument={
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "s3:DeleteObject",
                        "Resource": f"{bucket.Arn}/*",
                    }
                ],
            },
        )
        await Secret("db", Name="shop-db", SecretString=SECRET)
        app.output("bucket", bucket.Arn)
        app.output("dsn", f"postgres://admin:{SECRET}@db")
        app.output("queues", QUEUES)


asyncio.run(main())
