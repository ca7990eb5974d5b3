"""What a Python user meets when a spec or a prop is wrong, printed as JSON for the test.

Each case records the exception's type and str(): the message must come first, in the user's
terms, as it does in TypeScript.
"""
import json
import os
import sys
import traceback

import aws_cdk as cdk
import aws_cdk.assertions  # noqa: F401 - Template, for reading the synthesized schedule
from cdk_api_ingestion import (
    ApiSource, ApiToFirehoseIngestion, Column, Incremental, Partitions, Records, RecordSchema, SchemaContract, TimestampFormat,
)

spec_file = sys.argv[1]
results = {}


def attempt(name, build):
    stack = cdk.Stack(cdk.App(outdir=os.environ.get("CDK_OUTDIR")), "S")
    try:
        build(stack)
        results[name] = {"ok": True}
    except Exception as error:  # noqa: BLE001 - the test reads the type and the text
        # What Python prints above the traceback: jsii's JavaScriptError, holding the JavaScript stack.
        printed_first = "".join(traceback.format_exception_only(type(error.__cause__), error.__cause__)) if error.__cause__ else ""
        results[name] = {"ok": False, "type": type(error).__name__, "text": str(error), "printedFirst": printed_first}


attempt("misspelt template", lambda stack: ApiToFirehoseIngestion(stack, "Feed", source=ApiSource.http(
    url="https://api.example.com/stations/{{ partiton.station }}/obs",
    records=Records.at("data"),
    partitions=Partitions.list([{"station": "ST-1"}]),
)))
attempt("negative lookback", lambda stack: ApiToFirehoseIngestion(stack, "Feed", source=ApiSource.http(
    url="https://api.example.com/events?after={{ cursor }}",
    records=Records.at("data"),
    incremental=Incremental.number(record_path="seq", start=0, lookback=-5),
)))
attempt("snake_case limits dict", lambda stack: ApiToFirehoseIngestion(stack, "Feed", source=ApiSource.http(
    url="https://api.example.com/items", records=Records.at("data"), limits={"requests_per_second": 2},
)))
attempt("camelCase limits dict", lambda stack: ApiSource.http(
    url="https://api.example.com/items", records=Records.at("data"), limits={"requestsPerSecond": 2},
))
attempt("spec file", lambda stack: ApiToFirehoseIngestion(stack, "Feed", source=ApiSource.from_spec_file(spec_file)))
with open(spec_file, encoding="utf-8") as f:
    loaded = json.load(f)
attempt("spec dict from json.load", lambda stack: ApiToFirehoseIngestion(stack, "Feed", source=ApiSource.from_spec(loaded)))
attempt("spec dict with a typo", lambda stack: ApiSource.from_spec({**loaded, "pagination": {"type": "pagenumber", "param": "p"}}))



def with_schema(stack):
    feed = ApiToFirehoseIngestion(stack, "Feed", source=ApiSource.http(
        url="https://api.example.com/items", records=Records.at("data"),
        schema=RecordSchema.of({
            "id": Column.integer(),
            "updated_at": Column.timestamp(path="meta.updatedAt", format=TimestampFormat.UNIX_MS),
            "geo": Column.struct({"lat": Column.number()}),
            "tags": Column.array(Column.string()),
        }, contract=SchemaContract.DISCARD_COLUMNS),
    ))
    template = cdk.assertions.Template.from_stack(cdk.Stack.of(feed))
    schedule = next(iter(template.find_resources("AWS::Scheduler::Schedule").values()))
    results["schema builders spec"] = json.loads(schedule["Properties"]["Target"]["Input"])["spec"]["schema"]


attempt("schema builders", with_schema)
attempt("schema with a camelCase column", lambda stack: ApiToFirehoseIngestion(stack, "Feed", source=ApiSource.http(
    url="https://api.example.com/items", records=Records.at("data"), schema=RecordSchema.of({"userId": Column.string()}),
)))

print(json.dumps(results))
