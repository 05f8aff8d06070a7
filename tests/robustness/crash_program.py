"""The program the crash suite runs (and SIGKILLs): one of four versions of 20 security profiles.

    python crash_program.py STATE INSTANCE_ARN VERSION    (STATE: a folder or s3://bucket/prefix)

v1 creates them, v2 changes every Description (update), v3 renames every profile (create-only:
replace), "empty" declares nothing (every profile is deleted as an orphan).
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from cloudforge import App
from cloudforge.aws.connect import SecurityProfile

COUNT = 20
VERSIONS = ("empty", "v1", "v2", "v3")


def declared(version: str, instance_arn: str) -> dict[str, dict[str, Any]]:
    """logical id -> properties of each profile the version declares."""
    if version == "empty":
        return {}
    suffix = "-r" if version == "v3" else ""
    description = "first" if version == "v1" else "second"
    return {
        f"profile{i:02d}": {
            "InstanceArn": instance_arn,
            "SecurityProfileName": f"Crash-{i:02d}{suffix}",
            "Description": description,
            "Permissions": ["connect:StartChatContact"],
        }
        for i in range(COUNT)
    }


async def deploy(state_dir: str, instance_arn: str, version: str) -> App:
    async with App("crash", stage="suite", state=state_dir) as app:
        await asyncio.gather(
            *(
                SecurityProfile(logical_id, **props)
                for logical_id, props in declared(version, instance_arn).items()
            )
        )
    return app


if __name__ == "__main__":
    asyncio.run(deploy(sys.argv[1], sys.argv[2], sys.argv[3]))
