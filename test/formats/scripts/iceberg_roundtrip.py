"""What pyiceberg makes of a local run's Parquet output, for comparison with the Glue Iceberg
table the construct synthesizes.

Creates an Iceberg table (format version 2) from the files' schema in a local SQL catalog
(SQLite), maps that table's schema to Glue column types with pyiceberg's own Glue mapping (what
its Glue catalog writes), appends the files, reads the table back, and prints one JSON document.

    python iceberg_roundtrip.py OUTPUT_DIR WORK_DIR
"""
import json
import sys

import pyarrow.dataset as ds
from pyiceberg.catalog.glue import _IcebergSchemaToGlueType
from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.schema import visit


def main() -> None:
    output, work = sys.argv[1], sys.argv[2]
    # The files' own columns (the key layout's folders are not columns of the Iceberg table).
    rows = ds.dataset(output, format="parquet").to_table()
    catalog = SqlCatalog("local", uri=f"sqlite:///{work}/catalog.db", warehouse=f"file://{work}/warehouse")
    catalog.create_namespace("lake")
    table = catalog.create_table("lake.quotes", schema=rows.schema, properties={"format-version": "2"})
    glue_columns = [{"name": f.name, "type": visit(f.field_type, _IcebergSchemaToGlueType())} for f in table.schema().fields]
    table.append(rows)
    back = table.scan().to_arrow()
    json.dump({
        "formatVersion": table.metadata.format_version,
        "columns": glue_columns,
        "rowsWritten": rows.num_rows,
        "rowsRead": back.num_rows,
        "recordIds": sorted(back.column("record_id").to_pylist()),
        "volumes": sorted(str(v) for v in back.column("volume").to_pylist() if v is not None),
        "snapshots": len(table.metadata.snapshots),
        # The table's Iceberg schema as the Iceberg spec writes it (field ids, nested types).
        "icebergSchema": json.loads(table.schema().model_dump_json(by_alias=True)),
    }, sys.stdout)


main()
