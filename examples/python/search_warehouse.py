"""Feeds into search and the warehouse in Python: the same app as examples/search-warehouse/app.ts.

Social posts made searchable in the search team's OpenSearch domain (in its VPC), support tickets
in an OpenSearch Serverless collection, and IoT sensor readings loaded into a Redshift Serverless
table that the stack creates.

    pip install cdk-api-ingestion aws-cdk-lib
    cdk synth --app "python examples/python/search_warehouse.py"
"""
import os

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_opensearchservice as opensearch
from aws_cdk import aws_secretsmanager as secretsmanager
from cdk_api_ingestion import (
    ApiSource,
    ApiToFirehoseIngestion,
    Column,
    Destination,
    IndexRotation,
    Records,
    RecordSchema,
    RedshiftTarget,
    SchemaContract,
    TimestampFormat,
)

app = cdk.App(outdir=os.environ.get("CDK_OUTDIR"))
stack = cdk.Stack(app, "SearchWarehouseIngestion", env=cdk.Environment(account="123456789012", region="us-east-1"))

# The search team's domain and its VPC, owned by their stack: imported here.
vpc = ec2.Vpc.from_vpc_attributes(
    stack,
    "SearchVpc",
    vpc_id="vpc-0a1b2c3d4e5f67890",
    vpc_cidr_block="10.20.0.0/16",
    availability_zones=["us-east-1a", "us-east-1b"],
    private_subnet_ids=["subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2"],
)
domain = opensearch.Domain.from_domain_attributes(
    stack,
    "SocialSearch",
    domain_arn="arn:aws:es:us-east-1:123456789012:domain/social-search",
    domain_endpoint="https://vpc-social-search-abc123.us-east-1.es.amazonaws.com",
)

# Posts every 5 minutes into daily indices; typed, so the index template maps each field.
posts = ApiToFirehoseIngestion(
    stack,
    "Posts",
    feed_name="posts",
    source=ApiSource.http(
        url="https://api.example-social.com/v1/posts",
        records=Records.at("data"),
        schema=RecordSchema.of(
            {
                "id": Column.string(),
                "author": Column.string(),
                "text": Column.string(),
                "lang": Column.string(),
                "likes": Column.integer(),
                "posted_at": Column.timestamp(),
                "hashtags": Column.array(Column.string()),
            },
            contract=SchemaContract.EVOLVE,
        ),
    ),
    destination=Destination.open_search(domain=domain, index_name="posts", index_rotation=IndexRotation.ONE_DAY, vpc=vpc),
)
# For the search team: the statements their domain's access policy needs, the index template
# and the pipeline that makes record_id the document id.
cdk.CfnOutput(
    stack,
    "PostsDomainAccessStatements",
    value=stack.to_json_string([statement.to_statement_json() for statement in posts.destination_access_statements]),
)
cdk.CfnOutput(stack, "PostsIndexTemplate", value=posts.open_search_index_template)
cdk.CfnOutput(stack, "PostsIngestPipeline", value=posts.open_search_ingest_pipeline)

# Support tickets into an OpenSearch Serverless collection (the support team's).
ApiToFirehoseIngestion(
    stack,
    "Tickets",
    feed_name="tickets",
    source=ApiSource.http(url="https://support.example-saas.com/api/v2/tickets", records=Records.at("tickets")),
    destination=Destination.open_search_serverless(
        collection_name="support",
        collection_arn="arn:aws:aoss:us-east-1:123456789012:collection/k1x2y3z4w5v6u7t8",
        collection_endpoint="https://k1x2y3z4w5v6u7t8.us-east-1.aoss.amazonaws.com",
        index_name="tickets",
    ),
)

# Sensor readings every minute into Redshift Serverless: Firehose COPYs them into a table the
# stack creates at deployment, with a database user whose credentials are in Secrets Manager.
readings = ApiToFirehoseIngestion(
    stack,
    "Readings",
    feed_name="readings",
    source=ApiSource.http(
        url="https://iot.example-sensors.com/api/readings",
        records=Records.at("readings"),
        schema=RecordSchema.of(
            {
                "sensor_id": Column.string(),
                "site": Column.string(),
                "temperature_c": Column.number(),
                "humidity_pct": Column.number(),
                "battery_mv": Column.integer(),
                "measured_at": Column.timestamp(format=TimestampFormat.UNIX, path="ts"),
            },
            contract=SchemaContract.FREEZE,
        ),
    ),
    buffering_interval=cdk.Duration.seconds(60),
    destination=Destination.redshift(
        target=RedshiftTarget.serverless_workgroup(
            workgroup_name="analytics",
            endpoint_address="analytics.123456789012.us-east-1.redshift-serverless.amazonaws.com",
        ),
        database="dev",
        table_name="iot.readings",
        credentials=secretsmanager.Secret.from_secret_name_v2(stack, "FirehoseUser", "redshift/firehose-user"),
        create_table=True,
    ),
)
cdk.CfnOutput(stack, "ReadingsTableDdl", value=readings.redshift_table_ddl)

app.synth()
