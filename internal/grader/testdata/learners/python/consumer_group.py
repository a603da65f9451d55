# consumer-group with confluent-kafka: consume to the end, write totals,
# commit synchronously, exit.
import json
import os
from confluent_kafka import Consumer, Producer, TopicPartition

brokers = os.environ["KAFKA_BOOTSTRAP_SERVERS"]
topic = os.environ["INPUT_TOPIC"]
c = Consumer({"bootstrap.servers": brokers, "group.id": os.environ["GROUP"],
              "auto.offset.reset": "earliest", "enable.auto.commit": False})
meta = c.list_topics(topic, timeout=10).topics[topic]
ends = {}
for p in meta.partitions:
    low, high = c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
    if high > 0:
        ends[p] = high
c.subscribe([topic])
totals = {}
while ends:
    msg = c.poll(1.0)
    if msg is None:
        continue
    if msg.error():
        raise SystemExit(str(msg.error()))
    order = json.loads(msg.value())
    totals[order["customer_id"]] = totals.get(order["customer_id"], 0) + order["amount_cents"]
    if msg.offset() + 1 >= ends.get(msg.partition(), 0):
        ends.pop(msg.partition(), None)
prod = Producer({"bootstrap.servers": brokers})
for customer, total in totals.items():
    prod.produce(os.environ["OUTPUT_TOPIC"], key=customer, value=str(total))
assert prod.flush(30) == 0
c.commit(asynchronous=False)
c.close()
