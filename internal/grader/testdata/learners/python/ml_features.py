# ml/features with confluent-kafka: every partition read to the end it had
# at the start, a window per customer by event_time, one record per order.
import json
import os
from collections import defaultdict, deque
from datetime import datetime, timedelta
from confluent_kafka import Consumer, Producer, TopicPartition

WINDOW = timedelta(minutes=10)
brokers, topic = os.environ["KAFKA_BOOTSTRAP_SERVERS"], os.environ["INPUT_TOPIC"]
c = Consumer({"bootstrap.servers": brokers, "group.id": "unused", "enable.auto.commit": False})
ends, starts = {}, []
for p in c.list_topics(topic, timeout=10).topics[topic].partitions:
    low, high = c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
    if high > low:
        ends[p] = high
        starts.append(TopicPartition(topic, p, low))
c.assign(starts)

prod = Producer({"bootstrap.servers": brokers, "enable.idempotence": True})
windows = defaultdict(deque)  # customer_id -> (event time, amount), oldest first
while ends:
    msg = c.poll(1.0)
    if msg is None:
        continue
    if msg.error():
        raise SystemExit(str(msg.error()))
    o = json.loads(msg.value())
    at = datetime.fromisoformat(o["event_time"])
    w = windows[o["customer_id"]]
    while w and w[0][0] <= at - WINDOW:
        w.popleft()
    w.append((at, o["amount_cents"]))
    out = {"order_id": o["order_id"], "customer_id": o["customer_id"],
           "orders_10m": len(w), "sum_10m": sum(a for _, a in w)}
    prod.produce(os.environ["FEATURES_TOPIC"], key=o["customer_id"], value=json.dumps(out))
    prod.poll(0)
    if msg.offset() + 1 >= ends.get(msg.partition(), 0):
        ends.pop(msg.partition(), None)
assert prod.flush(30) == 0
c.close()
