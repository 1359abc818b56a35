"""Counts, with pyarrow (a reader independent of trawl's), the OCSF rows of a Security Lake
folder that name an IP (source or destination endpoint) and that were made with an access key."""
import glob, json, sys

import pyarrow.parquet as pq

root, ip, key = sys.argv[1:4]
n_ip = n_key = n_rows = 0
for path in glob.glob(root + "/**/*.parquet", recursive=True):
    for row in pq.read_table(path).to_pylist():
        n_rows += 1
        ends = [(row.get(k) or {}).get("ip") for k in ("src_endpoint", "dst_endpoint")]
        if ip in ends:
            n_ip += 1
        if ((row.get("actor") or {}).get("user") or {}).get("credential_uid") == key:
            n_key += 1
print(json.dumps({"rows": n_rows, "ip": n_ip, "key": n_key}))
