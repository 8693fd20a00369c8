"""A long-lived Spark SQL server for Floe's tests: one SparkSession (local[2]) with an `iceberg`
catalog on the stack's REST catalog and S3 store, answering SQL over a local TCP socket, one
JSON line per request ({"sql": "..."}) and per answer ({"columns": [...], "rows": [...]} or
{"error": "..."}). A warm JVM answers a query in tens of milliseconds where a fresh spark-sql
process takes tens of seconds.
"""
import json
import os
import socketserver
import sys
import traceback

os.environ.setdefault("TZ", "UTC")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from floe_engines import arrow_rows  # noqa: E402

from pyspark.sql import SparkSession  # noqa: E402

env = os.environ
jars = env["FLOE_SPARK_JARS"]
s3 = f"http://127.0.0.1:{env.get('FLOE_S3_PORT', '9000')}"
uri = env.get("FLOE_CATALOG_URI") or f"http://127.0.0.1:{env.get('FLOE_REST_PORT', '8181')}"
builder = (
    SparkSession.builder.master("local[2]")
    .appName("floe-tests")
    .config("spark.jars", jars)
    .config("spark.driver.memory", "2g")
    .config("spark.ui.enabled", "false")
    .config("spark.sql.shuffle.partitions", "2")
    .config("spark.sql.session.timeZone", "UTC")
    .config("spark.driver.bindAddress", "127.0.0.1")
    .config("spark.driver.host", "127.0.0.1")
    .config("spark.sql.extensions", "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions")
    .config("spark.sql.catalog.iceberg", "org.apache.iceberg.spark.SparkCatalog")
    .config("spark.sql.catalog.iceberg.type", "rest")
    .config("spark.sql.catalog.iceberg.uri", uri)
    .config("spark.sql.catalog.iceberg.io-impl", "org.apache.iceberg.aws.s3.S3FileIO")
    .config("spark.sql.catalog.iceberg.s3.endpoint", s3)
    .config("spark.sql.catalog.iceberg.s3.path-style-access", "true")
    .config("spark.sql.catalog.iceberg.s3.access-key-id", env.get("FLOE_S3_ACCESS_KEY", "floe"))
    .config("spark.sql.catalog.iceberg.s3.secret-access-key", env.get("FLOE_S3_SECRET_KEY", "floe-secret-key"))
    .config("spark.sql.catalog.iceberg.client.region", env.get("FLOE_S3_REGION", "us-east-1"))
    .config("spark.sql.defaultCatalog", "iceberg")
)
for k, v in json.loads(env.get("FLOE_SPARK_CONF", "{}")).items():
    builder = builder.config(k, v)
spark = builder.getOrCreate()
spark.sparkContext.setLogLevel("WARN")


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        for line in self.rfile:
            try:
                req = json.loads(line)
                df = spark.sql(req["sql"])
                if df.isStreaming or not df.columns:
                    out = {"columns": [], "rows": []}
                else:
                    table = df.toArrow()
                    out = {"columns": df.columns, "rows": arrow_rows(table)}
            except Exception as e:  # noqa: BLE001 - every error goes back to the client
                out = {"error": f"{type(e).__name__}: {e}", "trace": traceback.format_exc(limit=3)}
            self.wfile.write((json.dumps(out) + "\n").encode())
            self.wfile.flush()


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


port = int(env.get("FLOE_SPARK_PORT", "15002"))
with Server(("127.0.0.1", port), Handler) as server:
    print(f"spark server ready on 127.0.0.1:{port}", flush=True)
    server.serve_forever()
