# pulsar/stateless-brokers with the Python client: broker deduplication on
# the output topic (set through the admin REST API), a fixed producer name,
# and sequence ids from the input's position; an input position already
# published is acknowledged without publishing it again.
import json
import os
import urllib.request
import pulsar

admin = os.environ["PULSAR_ADMIN_URL"]
output = os.environ["OUTPUT_TOPIC"]
path = output.replace("persistent://", "")
if "/" not in path:
    path = "public/default/" + path
req = urllib.request.Request(f"{admin}/admin/v2/persistent/{path}/deduplicationEnabled",
                             data=b"true", method="POST", headers={"Content-Type": "application/json"})
urllib.request.urlopen(req).read()

client = pulsar.Client(os.environ["PULSAR_SERVICE_URL"])
out = client.create_producer(output, producer_name="py-copier")
c = client.subscribe(os.environ["INPUT_TOPIC"], os.environ["SUBSCRIPTION"],
                     initial_position=pulsar.InitialPosition.Earliest)
highest = -1
while True:
    try:
        msg = c.receive(timeout_millis=5000)
    except pulsar.Timeout:
        break
    mid = msg.message_id()
    seq = (mid.ledger_id() << 32) | mid.entry_id()
    if seq > highest:
        out.send(msg.data(), partition_key=msg.partition_key(), sequence_id=seq)
        highest = seq
    c.acknowledge(msg)
out.flush()
client.close()
