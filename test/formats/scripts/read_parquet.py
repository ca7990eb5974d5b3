"""Reads a local run's Parquet output with pyarrow, as a user would with pandas or DuckDB.

Prints one JSON document: the dataset's schema as Hive (Glue) type strings, without the hive
partition folders, and its rows, sorted by record_id, with timestamps as ISO 8601 UTC text.
"""
import json
import sys

import pyarrow as pa
import pyarrow.dataset as ds


def hive_type(t: pa.DataType) -> str:
    if pa.types.is_string(t):
        return "string"
    if pa.types.is_int64(t):
        return "bigint"
    if pa.types.is_int32(t):
        return "int"
    if pa.types.is_float64(t):
        return "double"
    if pa.types.is_boolean(t):
        return "boolean"
    if pa.types.is_timestamp(t):
        return "timestamp"
    if pa.types.is_date32(t):
        return "date"
    if pa.types.is_struct(t):
        return "struct<" + ",".join(f"{f.name}:{hive_type(f.type)}" for f in t) + ">"
    if pa.types.is_list(t):
        return f"array<{hive_type(t.value_type)}>"
    raise SystemExit(f"no Hive type for {t}")


def plain(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def main() -> None:
    directory = sys.argv[1]
    # The folders (feed=…/year=…/…) are read as hive partitions, as Athena's partition keys.
    table = ds.dataset(directory, format="parquet", partitioning="hive").to_table()
    files = ds.dataset(directory, format="parquet")
    columns = [{"name": f.name, "type": hive_type(f.type)} for f in files.schema]
    partitions = [{"name": f.name, "type": hive_type(f.type)} for f in table.schema if f.name not in files.schema.names]
    rows = sorted((plain(r) for r in table.to_pylist()), key=lambda r: r["record_id"])
    # Python ints are exact; JSON readers in other languages may not be: volumes also as text.
    volumes = [str(r["volume"]) for r in rows]
    json.dump({"columns": columns, "partitions": partitions, "rows": rows, "volumes": volumes}, sys.stdout)


main()
