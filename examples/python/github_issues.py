"""GitHub issues of two repositories into S3: a token from Secrets Manager, Link-header
pagination, partitions and an incremental cursor, from Python.

    cdk synth --app "python examples/python/github_issues.py"
"""
import os

import aws_cdk as cdk
from aws_cdk import aws_secretsmanager as secretsmanager
from cdk_api_ingestion import (
    ApiSource,
    ApiToFirehoseIngestion,
    Auth,
    Incremental,
    Pagination,
    Partitions,
    Records,
    RequestLimits,
)

app = cdk.App(outdir=os.environ.get("CDK_OUTDIR"))
stack = cdk.Stack(
    app,
    "GithubIssues",
    env=cdk.Environment(account="123456789012", region="us-east-1"),
)
github_token = secretsmanager.Secret.from_secret_name_v2(stack, "GithubToken", "github-token")

ApiToFirehoseIngestion(
    stack,
    "Issues",
    feed_name="github-issues",
    source=ApiSource.http(
        url="https://api.github.com/repos/{{ partition.owner }}/{{ partition.repo }}/issues",
        query={"state": "all", "since": "{{ cursor }}"},
        auth=Auth.bearer(github_token),
        pagination=Pagination.link_header(),
        records=Records.whole_response(fields=["id", "title", "user.login", "updated_at"]),
        partitions=Partitions.list(
            [{"owner": "aws", "repo": "aws-cdk"}, {"owner": "projen", "repo": "projen"}]
        ),
        incremental=Incremental.datetime(
            record_path="updated_at",
            start="2026-01-01T00:00:00Z",
            lookback=cdk.Duration.minutes(5),
        ),
        limits=RequestLimits(requests_per_second=5),
    ),
)

app.synth()
