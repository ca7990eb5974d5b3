"""The example weather feed in Python: the same feed as examples/weather/app.ts.

    pip install cdk-api-ingestion aws-cdk-lib
    cdk synth --app "python examples/python/app.py"
"""
import os

import aws_cdk as cdk
from aws_cdk import aws_scheduler as scheduler
from cdk_api_ingestion import ApiSource, ApiToFirehoseIngestion, Records

app = cdk.App(outdir=os.environ.get("CDK_OUTDIR"))
stack = cdk.Stack(
    app,
    "WeatherIngestion",
    env=cdk.Environment(
        account=os.environ.get("CDK_DEFAULT_ACCOUNT", "123456789012"),
        region=os.environ.get("CDK_DEFAULT_REGION", "us-east-1"),
    ),
)

ApiToFirehoseIngestion(
    stack,
    "Weather",
    feed_name="weather",
    schedule=scheduler.ScheduleExpression.rate(cdk.Duration.minutes(15)),
    source=ApiSource.http(
        url="https://api.open-meteo.com/v1/forecast",
        query={"latitude": "37.57", "longitude": "126.98", "hourly": "temperature_2m,precipitation"},
        records=Records.whole_response(),
    ),
)

app.synth()
