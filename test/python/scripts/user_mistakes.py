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
    ApiSource, ApiToFirehoseIngestion, Auth, Column, ExportJob, ExportResults, HttpMethod, Incremental, OAuth2ClientAuthentication,
    Pagination, Partitions, Records, RecordSchema, ResponseRule, SchemaContract, TimestampFormat,
)
from aws_cdk import aws_secretsmanager as secretsmanager

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



def schedule_spec(feed):
    template = cdk.assertions.Template.from_stack(cdk.Stack.of(feed))
    schedule = next(iter(template.find_resources("AWS::Scheduler::Schedule").values()))
    return json.loads(schedule["Properties"]["Target"]["Input"])["spec"]


def with_saas_patterns(stack):
    """The API patterns of real SaaS feeds, from Python: a session login, response rules, a newest-first cursor."""
    secret = secretsmanager.Secret.from_secret_complete_arn(stack, "Login", "arn:aws:secretsmanager:us-east-1:123456789012:secret:login-AbCdEf")
    feed = ApiToFirehoseIngestion(stack, "Feed", source=ApiSource.http(
        url="https://helpdesk.example.com/api/events",
        records=Records.at("events"),
        pagination=Pagination.page_number(param="page"),
        auth=Auth.session_token(login_url="https://helpdesk.example.com/api/login", secret=secret, token_path="session.id",
                                send_in_header="X-Session"),
        incremental=Incremental.datetime(record_path="created_at", start="2026-01-01T00:00:00Z", stop_at_cursor=True),
        response_rules=[ResponseRule.skip_partition(status=[404], reason="deleted"),
                        ResponseRule.retry(body_path="status", equal_to="PROCESSING")],
    ))
    results["saas patterns spec"] = {key: schedule_spec(feed)[key] for key in ("auth", "incremental", "responseRules")}


def with_export_job(stack):
    """An export job with the refresh-token grant, from Python."""
    secret = secretsmanager.Secret.from_secret_complete_arn(stack, "Client", "arn:aws:secretsmanager:us-east-1:123456789012:secret:sf-AbCdEf")
    feed = ApiToFirehoseIngestion(stack, "Feed", source=ApiSource.http(
        url="https://mycompany.my.salesforce.com/services/data/v60.0/jobs/query",
        method=HttpMethod.POST,
        body={"operation": "query", "query": "SELECT Id FROM Account"},
        records=Records.csv(),
        auth=Auth.oauth2_refresh_token(token_url="https://login.salesforce.com/services/oauth2/token", secret=secret,
                                       client_authentication=OAuth2ClientAuthentication.REQUEST_BODY),
        export_job=ExportJob.poll(
            job_id_path="id", status_url="https://mycompany.my.salesforce.com/services/data/v60.0/jobs/query/{{ job.id }}",
            status_path="state", ready_states=["JobComplete"], failed_states=["Failed"],
            results=ExportResults.from_url("https://mycompany.my.salesforce.com/services/data/v60.0/jobs/query/{{ job.id }}/results",
                                           locator_header="Sforce-Locator"),
        ),
    ))
    spec = schedule_spec(feed)
    results["export job spec"] = {"auth": {k: v for k, v in spec["auth"].items() if k != "secret"}, "export": spec["export"]}


def with_json_forms(stack):
    """The JSON forms the docs show, as dicts: a schema's columns, partitions with numbers."""
    feed = ApiToFirehoseIngestion(stack, "Feed", source=ApiSource.http(
        url="https://api.example.com/items/{{ partition.id }}", records=Records.at("data"),
        partitions=Partitions.list([{"id": 123}, {"id": "abc"}]),
        schema=RecordSchema.of({"id": {"type": "string"}, "price": {"type": "number", "path": "p"}}),
    ))
    spec = schedule_spec(feed)
    results["json forms spec"] = {"partitions": spec["partitions"]["values"], "columns": spec["schema"]["columns"]}


attempt("json forms", with_json_forms)
attempt("json form of a wrong kind", lambda stack: RecordSchema.of({"id": "string"}))
attempt("saas patterns", with_saas_patterns)
attempt("export job", with_export_job)

print(json.dumps(results))
