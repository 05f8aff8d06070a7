"""The CloudFormation resource-provider meta-schema files (data; see ORIGIN.md)."""
