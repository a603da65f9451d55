# compaction with confluent-kafka: the topic created compacted, the state
# after each order, and value=None (a tombstone) after a deletion.
import json
import os
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

brokers, topic = os.environ["KAFKA_BOOTSTRAP_SERVERS"], os.environ["STATE_TOPIC"]
admin = AdminClient({"bootstrap.servers": brokers})
new = NewTopic(topic, num_partitions=3, replication_factor=1, config={"cleanup.policy": "compact"})
for future in admin.create_topics([new]).values():
    future.result()

p = Producer({"bootstrap.servers": brokers, "enable.idempotence": True})
customers = {}
with open(os.environ["INPUT_FILE"]) as f:
    for line in f:
        event = json.loads(line)
        cid = event["customer_id"]
        if event.get("deleted"):
            customers.pop(cid, None)
            p.produce(topic, key=cid, value=None)
        else:
            s = customers.setdefault(cid, {"customer_id": cid, "orders": 0, "total_cents": 0})
            s["orders"] += 1
            s["total_cents"] += event["amount_cents"]
            p.produce(topic, key=cid, value=json.dumps(s))
        p.poll(0)
left = p.flush(30)
assert left == 0, f"{left} messages not delivered"
