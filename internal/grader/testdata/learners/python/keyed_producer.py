# keyed-producer with confluent-kafka (librdkafka's default partitioner is
# consistent_random, CRC32 based: not the Java client's murmur2).
import json
import os
from confluent_kafka import Producer

p = Producer({"bootstrap.servers": os.environ["KAFKA_BOOTSTRAP_SERVERS"], "enable.idempotence": True})
with open(os.environ["INPUT_FILE"]) as f:
    for line in f:
        line = line.rstrip("\n")
        order = json.loads(line)
        p.produce(os.environ["TOPIC"], key=order["customer_id"], value=line)
        p.poll(0)
left = p.flush(30)
assert left == 0, f"{left} messages not delivered"
