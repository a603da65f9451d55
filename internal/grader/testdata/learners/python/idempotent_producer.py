# idempotent-producer with confluent-kafka. librdkafka's
# enable.idempotence defaults to false; IDEMPOTENCE=off keeps that default,
# and a retry after a lost answer writes its batch again.
import json
import os
from confluent_kafka import Producer

conf = {"bootstrap.servers": os.environ["KAFKA_BOOTSTRAP_SERVERS"]}
if os.environ.get("IDEMPOTENCE", "on") == "on":
    conf["enable.idempotence"] = True

p = Producer(conf)
failed = []


def delivered(err, msg):
    if err is not None:
        failed.append(err)


with open(os.environ["INPUT_FILE"]) as f:
    for line in f:
        line = line.rstrip("\n")
        order = json.loads(line)
        p.produce(os.environ["TOPIC"], key=order["customer_id"], value=line, on_delivery=delivered)
        p.poll(0)
left = p.flush(60)
assert left == 0, f"{left} messages not delivered"
assert not failed, f"{len(failed)} messages failed: {failed[0]}"
