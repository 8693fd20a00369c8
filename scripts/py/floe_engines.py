"""Engine helpers for Floe's tests: PyIceberg against the stack's REST catalog, and the
conversion of Python/Arrow values to plain JSON that test/helpers/engines.ts canonicalises
against the Iceberg schema.

  python floe_engines.py scan <namespace.table> [--filter EXPR] [--fields a,b] [--snapshot ID]
  python floe_engines.py duckdb <namespace.table> [--fields a,b]   # DuckDB's iceberg_scan
  python floe_engines.py run            # python source on stdin; prints json of `result`

Conventions of the JSON ("raw"): decimals as strings, dates/times/timestamps as ISO strings
(aware ones in UTC with +00:00), bytes as lower-case hex, UUIDs as strings, non-finite floats as
"NaN"/"Infinity"/"-Infinity", integers beyond 2^53 as strings, maps as lists of [key, value].
"""
import datetime as dt
import decimal
import json
import math
import os
import sys
import uuid

SAFE = 2 ** 53


def raw(v):
    if v is None or isinstance(v, bool) or isinstance(v, str):
        return v
    if isinstance(v, int):
        return v if -SAFE <= v <= SAFE else str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        return v
    if isinstance(v, decimal.Decimal):
        return format(v, "f")
    if isinstance(v, dt.datetime):
        if v.tzinfo is not None:
            v = v.astimezone(dt.timezone.utc)
        return v.isoformat(timespec="microseconds")
    if isinstance(v, (dt.date, dt.time)):
        return v.isoformat()
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v).hex()
    if isinstance(v, uuid.UUID):
        return str(v)
    if isinstance(v, dict):
        return {str(k): raw(x) for k, x in v.items()}
    if hasattr(v, "asDict"):  # a Spark Row
        return {k: raw(x) for k, x in v.asDict(recursive=False).items()}
    if isinstance(v, (list, tuple)):
        if v and all(isinstance(e, tuple) and len(e) == 2 for e in v):
            return [[raw(k), raw(x)] for k, x in v]  # a map from pyarrow's to_pylist
        return [raw(x) for x in v]
    return str(v)


def arrow_rows(table):
    """Rows of a pyarrow Table as raw JSON objects. Map columns come out as lists of pairs."""
    return [{k: raw(x) for k, x in row.items()} for row in table.to_pylist()]


def catalog(uri=None):
    from pyiceberg.catalog import load_catalog

    env = os.environ
    s3 = f"http://127.0.0.1:{env.get('FLOE_S3_PORT', '9000')}"
    return load_catalog(
        "floe",
        **{
            "type": "rest",
            "uri": uri or env.get("FLOE_CATALOG_URI") or f"http://127.0.0.1:{env.get('FLOE_REST_PORT', '8181')}",
            "s3.endpoint": s3,
            "s3.path-style-access": "true",
            "s3.access-key-id": env.get("FLOE_S3_ACCESS_KEY", "floe"),
            "s3.secret-access-key": env.get("FLOE_S3_SECRET_KEY", "floe-secret-key"),
            "s3.region": env.get("FLOE_S3_REGION", "us-east-1"),
            **json.loads(env.get("FLOE_CATALOG_PROPS", "{}")),
        },
    )


def scan(ident, row_filter=None, fields=None, snapshot_id=None):
    table = catalog().load_table(ident)
    kwargs = {}
    if row_filter:
        kwargs["row_filter"] = row_filter
    if fields:
        kwargs["selected_fields"] = tuple(fields)
    if snapshot_id:
        kwargs["snapshot_id"] = int(snapshot_id)
    return arrow_rows(table.scan(**kwargs).to_arrow())


def duckdb_connection():
    """DuckDB with its iceberg, avro and httpfs extensions (from their PyPI packages) and the stack's S3."""
    import glob
    import importlib.util

    import duckdb

    con = duckdb.connect()
    for ext in ("httpfs", "avro", "iceberg"):
        pkg = os.path.dirname(importlib.util.find_spec(f"duckdb_extension_{ext}").origin)
        con.execute(f"LOAD '{glob.glob(f'{pkg}/extensions/*/{ext}.duckdb_extension')[0]}'")
    env = os.environ
    key, secret = env.get("FLOE_S3_ACCESS_KEY", "floe"), env.get("FLOE_S3_SECRET_KEY", "floe-secret-key")
    region, port = env.get("FLOE_S3_REGION", "us-east-1"), env.get("FLOE_S3_PORT", "9000")
    con.execute(f"CREATE SECRET s3 (TYPE s3, KEY_ID '{key}', SECRET '{secret}', REGION '{region}', ENDPOINT '127.0.0.1:{port}', URL_STYLE 'path', USE_SSL false)")
    return con


def duckdb_scan(ident, fields=None):
    """A table's current snapshot read by DuckDB (iceberg_scan of the metadata file the catalog names)."""
    location = catalog().load_table(ident).metadata_location
    cols = ", ".join(f'"{f}"' for f in fields) if fields else "*"
    return arrow_rows(duckdb_connection().execute(f"SELECT {cols} FROM iceberg_scan('{location}')").fetch_arrow_table())


def main(argv):
    if argv[:1] == ["scan"]:
        ident, rest = argv[1], argv[2:]
        opts = dict(zip(rest[::2], rest[1::2]))
        fields = opts.get("--fields")
        rows = scan(ident, opts.get("--filter"), fields.split(",") if fields else None, opts.get("--snapshot"))
        json.dump(rows, sys.stdout)
    elif argv[:1] == ["duckdb"]:
        opts = dict(zip(argv[2::2], argv[3::2]))
        fields = opts.get("--fields")
        json.dump(duckdb_scan(argv[1], fields.split(",") if fields else None), sys.stdout)
    elif argv[:1] == ["run"]:
        scope = {"catalog": catalog, "raw": raw, "arrow_rows": arrow_rows, "scan": scan, "duckdb_connection": duckdb_connection, "duckdb_scan": duckdb_scan, "result": None}
        exec(compile(sys.stdin.read(), "<snippet>", "exec"), scope)
        json.dump(raw(scope["result"]), sys.stdout)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
