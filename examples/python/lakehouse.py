"""Typed feeds for Athena in Python: the same app as examples/lakehouse/app.ts.

Quotes with a schema, delivered by Firehose as Parquet into a Glue table (partition projection,
no crawler), and trades into an Apache Iceberg table, both in the lake's shared database,
analysts allowed to query them; and order books into an Iceberg table in Amazon S3 Tables.

    pip install cdk-api-ingestion aws-cdk-lib
    cdk synth --app "python examples/python/lakehouse.py"
"""
import os

import aws_cdk as cdk
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_s3tables as s3tables
from cdk_api_ingestion import (
    ApiSource,
    ApiToFirehoseIngestion,
    Column,
    Format,
    Records,
    RecordSchema,
    SchemaContract,
    TimePartitioning,
    TimestampFormat,
    Transform,
)

app = cdk.App(outdir=os.environ.get("CDK_OUTDIR"))
stack = cdk.Stack(app, "LakehouseIngestion", env=cdk.Environment(account="123456789012", region="us-east-1"))
market_data = glue.Database(stack, "MarketData", database_name="market_data")

quotes = ApiToFirehoseIngestion(
    stack,
    "Quotes",
    feed_name="quotes",
    source=ApiSource.http(
        url="https://api.example-prices.com/v2/quotes",
        records=Records.at("quotes"),
        # Applied to each record first (JSONata): symbols in upper case, test listings left out.
        transform=Transform.jsonata('test = true ? undefined : $merge([$, { "symbol": $uppercase(symbol) }])'),
        # `api-ingest infer-schema SPEC --write` proposes this from a few pages of the API.
        schema=RecordSchema.of(
            {
                "symbol": Column.string(),
                "price": Column.number(),
                "volume": Column.integer(),
                "quoted_at": Column.timestamp(path="ts", format=TimestampFormat.UNIX_MS),
                "venue": Column.struct({"mic": Column.string(), "open": Column.boolean()}),
                "tags": Column.array(Column.string()),
            },
            contract=SchemaContract.EVOLVE,
        ),
    ),
    format=Format.parquet(database=market_data, compression=firehose.ParquetCompression.GZIP),
    # Filed under when each quote was made, not when it arrived: a backfill lands in its own days.
    time_partitioning=TimePartitioning.event_time(column="quoted_at"),
)

# Trades into an Apache Iceberg table: a trade delivered twice (a retried run) replaces the
# first, by record_id, instead of duplicating it.
trades = ApiToFirehoseIngestion(
    stack,
    "Trades",
    feed_name="trades",
    source=ApiSource.http(
        url="https://api.example-prices.com/v2/trades",
        records=Records.at("trades"),
        schema=RecordSchema.of(
            {
                "trade_id": Column.string(),
                "symbol": Column.string(),
                "quantity": Column.integer(),
                "price": Column.number(),
                "executed_at": Column.timestamp(),
            },
            contract=SchemaContract.FREEZE,
        ),
    ),
    format=Format.iceberg(database=market_data),
)

# Order-book snapshots into Amazon S3 Tables, which compacts and expires snapshots itself.
table_bucket = s3tables.CfnTableBucket(stack, "MarketTables", table_bucket_name="market-tables")
ApiToFirehoseIngestion(
    stack,
    "Books",
    feed_name="books",
    source=ApiSource.http(
        url="https://api.example-prices.com/v2/books",
        records=Records.at("books"),
        schema=RecordSchema.of(
            {
                "symbol": Column.string(),
                "bids": Column.array(Column.struct({"price": Column.number(), "size": Column.integer()})),
                "taken_at": Column.timestamp(),
            }
        ),
    ),
    format=Format.iceberg(s3_tables_bucket_arn=table_bucket.attr_table_bucket_arn, namespace="market"),
)

# Analysts query the quotes and trades tables with Athena, and read nothing else in the lake.
analysts = iam.Role.from_role_name(stack, "Analysts", "data-analysts")
for feed in (quotes, trades):
    # The folder grant is a wildcard by nature; grant_query acknowledges that one cdk-nag finding on the role.
    feed.grant_query(analysts)

app.synth()
