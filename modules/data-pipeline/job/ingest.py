"""Reference ingestion job: load one uploaded file from S3 into Aurora PostgreSQL.

EMR Serverless runs this once per upload; the ingestion Lambda passes the arguments (see
handler/job-run.ts):

    --bucket B --key K --db-host H --db-port P --db-name D --db-secret-arn ARN [--table T]

The file is read by extension: `.csv` (with a header row) or `.json`/`.jsonl`/`.ndjson` (JSON lines);
a trailing `.gz` is fine, Spark decompresses it. Rows are appended to the target table over JDBC with
TLS required. The table is `--table` when given, otherwise the folder the file was uploaded to
(`incoming/orders/2024-06-01.csv` goes to `orders`). Credentials come from the Secrets Manager secret
(`username` and `password` keys, the format RDS-managed secrets use) and never appear in arguments.

The PostgreSQL JDBC driver must be on the classpath: the pipeline's default `sparkSubmitParameters`
pull `org.postgresql:postgresql` from Maven Central.
"""

import argparse
import json
import re
import sys

import boto3
from pyspark.sql import SparkSession

CSV_SUFFIXES = (".csv",)
JSON_SUFFIXES = (".json", ".jsonl", ".ndjson")


def parse_args(argv):
    parser = argparse.ArgumentParser(description="Load one S3 object into Aurora PostgreSQL")
    parser.add_argument("--bucket", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--db-host", required=True)
    parser.add_argument("--db-port", type=int, default=5432)
    parser.add_argument("--db-name", required=True)
    parser.add_argument("--db-secret-arn", required=True)
    parser.add_argument("--table", help="target table; default: derived from the key's folder")
    return parser.parse_args(argv)


def file_format(key):
    """'csv' or 'json' from the key's extension (ignoring a trailing .gz)."""
    name = key.lower()
    if name.endswith(".gz"):
        name = name[: -len(".gz")]
    if name.endswith(CSV_SUFFIXES):
        return "csv"
    if name.endswith(JSON_SUFFIXES):
        return "json"
    raise ValueError(f"unsupported file type: {key} (expected .csv or JSON lines)")


def table_for(key):
    """The folder the object sits in, as a safe PostgreSQL identifier (or the file name at the root)."""
    parts = [p for p in key.split("/") if p]
    base = parts[-2] if len(parts) > 1 else parts[-1].split(".")[0]
    table = re.sub(r"[^a-z0-9_]", "_", base.lower()).strip("_")
    if not table or table[0].isdigit():
        table = f"t_{table}"
    return table[:63]


def read_credentials(secret_arn):
    secret = boto3.client("secretsmanager").get_secret_value(SecretId=secret_arn)
    value = json.loads(secret["SecretString"])
    return value["username"], value["password"]


def main(argv):
    args = parse_args(argv)
    table = args.table or table_for(args.key)
    source = f"s3://{args.bucket}/{args.key}"
    user, password = read_credentials(args.db_secret_arn)

    spark = SparkSession.builder.appName(f"ingest-{table}").getOrCreate()
    if file_format(args.key) == "csv":
        frame = spark.read.option("header", "true").option("inferSchema", "true").csv(source)
    else:
        frame = spark.read.json(source)

    url = f"jdbc:postgresql://{args.db_host}:{args.db_port}/{args.db_name}?sslmode=require"
    (
        frame.write.format("jdbc")
        .option("url", url)
        .option("dbtable", table)
        .option("user", user)
        .option("password", password)
        .option("driver", "org.postgresql.Driver")
        .option("batchsize", 5000)
        .mode("append")
        .save()
    )
    print(json.dumps({"message": "loaded", "source": source, "table": table}))
    spark.stop()


if __name__ == "__main__":
    main(sys.argv[1:])
