# ml/model-swap with confluent-kafka: a consumer of the models topic that
# keeps the last value of each key, read to its end before the first
# order is scored and polled between batches of orders after that, so
# that a new version takes over as soon as it arrives. Windows and scores
# as in ml_score.py.
import json
import math
import os
import time
from collections import defaultdict, deque
from datetime import datetime, timedelta
from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition

WINDOW = timedelta(minutes=10)
IDLE = 3.0  # seconds without an order: the orders have ended
brokers = os.environ["KAFKA_BOOTSTRAP_SERVERS"]
orders_topic, models_topic = os.environ["INPUT_TOPIC"], os.environ["MODELS_TOPIC"]


def from_start(topic):
    """A consumer assigned every partition of topic from its start, and
    the end offset each non-empty partition has now."""
    c = Consumer({"bootstrap.servers": brokers, "group.id": "unused", "enable.auto.commit": False})
    ends, parts = {}, []
    for p in c.list_topics(topic, timeout=10).topics[topic].partitions:
        low, high = c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
        if high > low:
            ends[p] = high
        parts.append(TopicPartition(topic, p, OFFSET_BEGINNING))
    c.assign(parts)
    return c, ends


models = {}  # model name -> its latest version
mc, behind = from_start(models_topic)


def read_models(timeout):
    for msg in mc.consume(num_messages=100, timeout=timeout):
        if msg.error():
            raise SystemExit(str(msg.error()))
        name = msg.key().decode()
        if msg.value() is None:
            models.pop(name, None)
        else:
            models[name] = json.loads(msg.value())  # the later record wins
        if msg.offset() + 1 >= behind.get(msg.partition(), 0):
            behind.pop(msg.partition(), None)


while behind:
    read_models(1.0)


def score(model, x):
    z = model["bias"]
    for i, name in enumerate(model["features"]):
        z += model["weights"][i] * (x[name] - model["mean"][i]) / model["scale"][i]
    return 1 / (1 + math.exp(-z))


oc, _ = from_start(orders_topic)
prod = Producer({"bootstrap.servers": brokers, "enable.idempotence": True})
windows = defaultdict(deque)  # customer_id -> (event time, amount), oldest first
last = time.monotonic()
while time.monotonic() - last < IDLE:
    read_models(0)
    for msg in oc.consume(num_messages=100, timeout=0.05):
        if msg.error():
            raise SystemExit(str(msg.error()))
        last = time.monotonic()
        o = json.loads(msg.value())
        at = datetime.fromisoformat(o["event_time"])
        w = windows[o["customer_id"]]
        while w and w[0][0] <= at - WINDOW:
            w.popleft()
        w.append((at, o["amount_cents"]))
        x = {"amount_cents": o["amount_cents"], "orders_10m": len(w), "sum_10m": sum(a for _, a in w)}
        model = models["fraud"]  # once per order: score and version from one model
        out = {"order_id": o["order_id"], "score": score(model, x), "model_version": model["model_version"]}
        prod.produce(os.environ["PREDICTIONS_TOPIC"], key=o["customer_id"], value=json.dumps(out))
    prod.poll(0)
assert prod.flush(30) == 0
oc.close()
mc.close()
