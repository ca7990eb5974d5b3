"""A data platform's feeds in Python: the same app as examples/platform/app.ts.

APIs into the company's existing, KMS-encrypted data lake bucket, with a customer-managed key, a
VPC poller, market-hours schedules in New York time, dynamic partitioning, a distributed run over
1,500 partitions, a durable run that waits for 40-minute export jobs, alarms to the on-call topic
and a dashboard.

    pip install cdk-api-ingestion aws-cdk-lib
    cdk synth --app "python examples/python/data_platform.py"
"""
import os

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from cdk_api_ingestion import (
    ApiSource,
    ApiToFirehoseIngestion,
    Auth,
    Destination,
    DynamicPartitioning,
    ExecutionMode,
    ExportJob,
    ExportResults,
    FeedScheduleOptions,
    HttpMethod,
    Incremental,
    Partitions,
    PollerOptions,
    Records,
    SharedRateBudget,
)

app = cdk.App(outdir=os.environ.get("CDK_OUTDIR"))
stack = cdk.Stack(app, "DataPlatformIngestion", env=cdk.Environment(account="123456789012", region="us-east-1"))

# What the platform already has: the lake bucket and its key, a VPC, the on-call topic.
lake = s3.Bucket.from_bucket_attributes(
    stack,
    "Lake",
    bucket_arn="arn:aws:s3:::corp-data-lake",
    encryption_key=kms.Key.from_key_arn(
        stack, "LakeKey", "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    ),
)
vpc = ec2.Vpc.from_vpc_attributes(
    stack,
    "Vpc",
    vpc_id="vpc-0a1b2c3d4e5f67890",
    availability_zones=["us-east-1a", "us-east-1b"],
    private_subnet_ids=["subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2"],
)
on_call = sns.Topic.from_topic_arn(stack, "OnCall", "arn:aws:sns:us-east-1:123456789012:data-on-call")
feed_key = kms.Key(
    stack, "FeedKey", enable_key_rotation=True, description="Streams, dead letters and state of the API feeds"
)

# Quotes every 15 minutes during New York market hours, partitioned by exchange.
prices = ApiToFirehoseIngestion(
    stack,
    "Prices",
    feed_name="prices",
    source=ApiSource.http(
        url="https://api.example-prices.com/v2/quotes",
        auth=Auth.api_key_header(
            "X-Api-Key", secretsmanager.Secret.from_secret_name_v2(stack, "PricesKey", "prices-api-key")
        ),
        records=Records.at("quotes"),
    ),
    schedule=scheduler.ScheduleExpression.cron(minute="0/15", hour="9-16", week_day="MON-FRI"),
    schedule_options=FeedScheduleOptions(time_zone=cdk.TimeZone.AMERICA_NEW_YORK),
    existing_bucket=lake,
    encryption_key=feed_key,
    dynamic_partitioning=DynamicPartitioning.by_record_fields({"exchange": "exchange"}),
    poller_options=PollerOptions(
        vpc=vpc,
        memory_size=1024,
        reserved_concurrent_executions=1,
        log_retention=logs.RetentionDays.ONE_MONTH,
    ),
    alarm_topic=on_call,
    dashboard_enabled=True,
)

# Hourly weather into the same bucket, sharing the first feed's dead-letter queue and table.
ApiToFirehoseIngestion(
    stack,
    "Weather",
    feed_name="weather",
    source=ApiSource.http(
        url="https://api.open-meteo.com/v1/forecast",
        query={"latitude": "40.71", "longitude": "-74.01", "hourly": "temperature_2m"},
        records=Records.whole_response(),
    ),
    existing_bucket=lake,
    encryption_key=feed_key,
    existing_dead_letter_queue=prices.dead_letter_queue,
    existing_state_table=prices.state_table,
    alarm_topic=on_call,
)

# Status-page incidents forwarded to the observability platform's HTTP intake; what it does not
# accept is kept in the lake bucket under backups/feed=incidents/.
ApiToFirehoseIngestion(
    stack,
    "Incidents",
    feed_name="incidents",
    source=ApiSource.http(url="https://status.example-saas.com/api/v2/incidents.json", records=Records.at("incidents")),
    destination=Destination.http_endpoint(
        url="https://intake.example-observability.com/v1/firehose",
        access_key=secretsmanager.Secret.from_secret_name_v2(stack, "IntakeKey", "observability-intake-key"),
    ),
    existing_bucket=lake,
    encryption_key=feed_key,
    existing_dead_letter_queue=prices.dead_letter_queue,
    existing_state_table=prices.state_table,
    alarm_topic=on_call,
)

# The weather API's account limit, which every feed of that host keeps to together (its counter
# in the shared state table).
weather_api = SharedRateBudget(
    stack, "WeatherApiBudget", host="api.example-weather.com", requests_per_second=250, existing_table=prices.state_table
)

# Observations of 1,500 weather stations: more than one invocation takes, so a distributed run
# (Step Functions Distributed Map) with the API's 100 requests per second shared by every worker.
stations = ApiToFirehoseIngestion(
    stack,
    "Stations",
    feed_name="stations",
    source=ApiSource.http(
        url="https://api.example-weather.com/v1/stations/{{ partition.id }}/observations",
        records=Records.at("observations"),
        partitions=Partitions.list([{"id": f"WS{i:04d}"} for i in range(1500)]),
        limits={"requests_per_second": 100},
    ),
    execution_mode=ExecutionMode.distributed(items_per_batch=50),
    shared_rate_budgets=[weather_api],
    existing_bucket=lake,
    encryption_key=feed_key,
    existing_dead_letter_queue=prices.dead_letter_queue,
    existing_state_table=prices.state_table,
    alarm_topic=on_call,
)
# The on-call engineers may start a run now, beside the schedule.
stations.grant_start_run(iam.Role.from_role_name(stack, "OnCallEngineers", "data-on-call"))

# The reporting API prepares an export of the orders in about 40 minutes: a durable run waits
# for it without compute (Lambda durable functions), and a backfill of a quarter runs its days
# two at a time in one execution.
ApiToFirehoseIngestion(
    stack,
    "Orders",
    feed_name="orders",
    source=ApiSource.http(
        url="https://api.example-reports.com/v1/exports",
        method=HttpMethod.POST,
        body={"report": "orders", "updatedFrom": "{{ window.start }}", "updatedTo": "{{ window.end }}"},
        auth=Auth.bearer(secretsmanager.Secret.from_secret_name_v2(stack, "ReportsToken", "reports-api-token")),
        records=Records.ndjson(),
        export_job=ExportJob.poll(
            job_id_path="id",
            status_url="https://api.example-reports.com/v1/exports/{{ job.id }}",
            status_path="state",
            ready_states=["done"],
            failed_states=["failed"],
            results=ExportResults.from_url("https://api.example-reports.com/v1/exports/{{ job.id }}/file"),
            poll_interval=cdk.Duration.minutes(1),
            max_poll_interval=cdk.Duration.minutes(10),
        ),
        incremental=Incremental.datetime(record_path="updated_at", start="2026-01-01T00:00:00Z"),
    ),
    schedule=scheduler.ScheduleExpression.rate(cdk.Duration.hours(6)),
    execution_mode=ExecutionMode.durable(execution_timeout=cdk.Duration.hours(12), backfill_concurrency=2),
    existing_bucket=lake,
    encryption_key=feed_key,
    existing_dead_letter_queue=prices.dead_letter_queue,
    existing_state_table=prices.state_table,
    alarm_topic=on_call,
)

# Analysts read the prices feed, and nothing else in the lake.
analysts = iam.Role.from_role_name(stack, "Analysts", "data-analysts")
# The folder grant is a wildcard by nature; grant_read_data acknowledges that one cdk-nag finding on the role.
prices.grant_read_data(analysts)

app.synth()
