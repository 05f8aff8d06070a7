"""A small application stack, and the application that uses it with plain boto3.

    cloudforge local &                       # or any AWS account: only AWS_ENDPOINT_URL differs
    python examples/app_stack.py             # deploy the stack, then run the application on it

The stack: an S3 bucket with a bucket policy, an SQS queue, an IAM role, a Secrets Manager secret
and a DynamoDB table. The application code (`run_application`) knows nothing of cloudforge: it
gets the names the deployment produced and uses each resource through its own service API, as
an application's integration tests would against the local cloud.
"""

from __future__ import annotations

import asyncio
import json
import os
from dataclasses import dataclass

import boto3
from cloudforge import App
from cloudforge.aws.dynamodb import Table
from cloudforge.aws.iam import Role
from cloudforge.aws.s3 import Bucket, BucketPolicy
from cloudforge.aws.secretsmanager import Secret
from cloudforge.aws.sqs import Queue

PREFIX = os.environ.get("APP_STACK_PREFIX", "nc")


@dataclass(frozen=True)
class Deployed:
    """What the application is told about its resources (environment variables, in real life)."""

    bucket: str
    queue_url: str
    role_arn: str
    secret_arn: str
    table: str


async def deploy() -> Deployed:
    async with App("app-stack") as app:
        del app
        bucket = await Bucket("uploads", BucketName=f"{PREFIX}-uploads",
                              Tags=[{"Key": "app", "Value": "app-stack"}],
                              VersioningConfiguration={"Status": "Enabled"})
        role = await Role("worker", RoleName=f"{PREFIX}-worker", AssumeRolePolicyDocument={
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                           "Action": "sts:AssumeRole"}],
        })
        await BucketPolicy("uploads-policy", Bucket=bucket.BucketName, PolicyDocument={
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"AWS": role.Arn}, "Action": ["s3:GetObject", "s3:PutObject"],
                           "Resource": f"{bucket.Arn}/*"}],
        })
        queue = await Queue("jobs", QueueName=f"{PREFIX}-jobs", VisibilityTimeout=60)
        secret = await Secret("api-key", Name=f"{PREFIX}/api-key", SecretString=json.dumps({"key": "s3cr3t"}))
        table = await Table("orders", TableName=f"{PREFIX}-orders", BillingMode="PAY_PER_REQUEST",
                            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
        return Deployed(bucket=str(bucket.BucketName), queue_url=str(queue.QueueUrl), role_arn=str(role.Arn),
                        secret_arn=str(secret.Id), table=str(table.TableName))


def run_application(deployed: Deployed) -> dict[str, object]:
    """The application: plain boto3, each resource through its own API. Returns what it saw."""
    s3, sqs, sts = boto3.client("s3"), boto3.client("sqs"), boto3.client("sts")
    secrets, dynamodb = boto3.client("secretsmanager"), boto3.client("dynamodb")

    api_key = json.loads(secrets.get_secret_value(SecretId=deployed.secret_arn)["SecretString"])["key"]
    session = sts.assume_role(RoleArn=deployed.role_arn, RoleSessionName="worker")["AssumedRoleUser"]["Arn"]
    s3.put_object(Bucket=deployed.bucket, Key="orders/42.json", Body=json.dumps({"id": "42", "total": 10}).encode())
    sqs.send_message(QueueUrl=deployed.queue_url, MessageBody="orders/42.json")

    # The worker: take the job, read the upload, record the order.
    message = sqs.receive_message(QueueUrl=deployed.queue_url, MaxNumberOfMessages=1)["Messages"][0]
    order = json.loads(s3.get_object(Bucket=deployed.bucket, Key=message["Body"])["Body"].read())
    dynamodb.put_item(TableName=deployed.table, Item={"id": {"S": order["id"]}, "total": {"N": str(order["total"])}})
    sqs.delete_message(QueueUrl=deployed.queue_url, ReceiptHandle=message["ReceiptHandle"])
    stored = dynamodb.get_item(TableName=deployed.table, Key={"id": {"S": "42"}})["Item"]
    policy = json.loads(s3.get_bucket_policy(Bucket=deployed.bucket)["Policy"])
    return {
        "api_key_read": api_key == "s3cr3t",
        "assumed_role": session,
        "order_total": int(stored["total"]["N"]),
        "policy_principal": policy["Statement"][0]["Principal"]["AWS"],
        "queue_left": int(sqs.get_queue_attributes(QueueUrl=deployed.queue_url, AttributeNames=["All"])
                          ["Attributes"]["ApproximateNumberOfMessages"]),
    }


def main() -> None:
    deployed = asyncio.run(deploy())
    print(f"deployed: {deployed}")
    seen = run_application(deployed)
    print(f"the application saw: {seen}")


if __name__ == "__main__":
    main()
