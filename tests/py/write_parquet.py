"""Writes OCSF-shaped Parquet files with pyarrow (an independent writer): nested structs, lists,
a map, nulls and timestamps, once per page codec, and the JSON a person expects for each row."""
import datetime, json, sys

import pyarrow as pa
import pyarrow.parquet as pq

out = sys.argv[1]
utc = datetime.timezone.utc
rows = [
    {"class_uid": 4001, "class_name": "Network Activity", "activity_name": "Traffic",
     "time": datetime.datetime(2024, 5, 2, 1, 10, 0, 250000, tzinfo=utc),
     "src_endpoint": {"ip": "203.0.113.66", "port": 44100, "intermediate_ips": ["192.0.2.1", "192.0.2.2"]},
     "dst_endpoint": {"ip": "10.0.1.25", "port": 22, "intermediate_ips": None},
     "cloud": {"region": "us-east-1", "account": {"uid": "111122223333"}},
     "unmapped": [("flow-log-status", "OK"), ("tcp-flags", "2")],
     "severity_id": 1},
    {"class_uid": 6003, "class_name": "API Activity", "activity_name": "Create",
     "time": datetime.datetime(2024, 5, 2, 3, 24, 10, tzinfo=utc),
     "src_endpoint": {"ip": None, "port": None, "intermediate_ips": []},
     "dst_endpoint": None,
     "cloud": {"region": "eu-west-1", "account": {"uid": "444455556666"}},
     "unmapped": [],
     "severity_id": None},
]
endpoint = pa.struct([("ip", pa.string()), ("port", pa.int32()), ("intermediate_ips", pa.list_(pa.string()))])
schema = pa.schema([
    ("class_uid", pa.int32()), ("class_name", pa.string()), ("activity_name", pa.string()),
    ("time", pa.timestamp("ms", tz="UTC")),
    ("src_endpoint", endpoint), ("dst_endpoint", endpoint),
    ("cloud", pa.struct([("region", pa.string()), ("account", pa.struct([("uid", pa.string())]))])),
    ("unmapped", pa.map_(pa.string(), pa.string())),
    ("severity_id", pa.int32()),
])
table = pa.Table.from_pylist(rows, schema=schema)
for codec in ("gzip", "zstd", "snappy"):
    # Small row groups so that a file holds several, read one after another.
    pq.write_table(table, f"{out}/ocsf-{codec}.parquet", compression=codec, row_group_size=1)

def expected(row):
    r = dict(row)
    t = r["time"]
    r["time"] = t.strftime("%Y-%m-%dT%H:%M:%S") + (f".{t.microsecond // 1000:03d}" if t.microsecond else "") + "Z"
    r["unmapped"] = dict(r["unmapped"])
    return r
with open(f"{out}/expected.jsonl", "w") as f:
    for row in rows:
        f.write(json.dumps(expected(row)) + "\n")
