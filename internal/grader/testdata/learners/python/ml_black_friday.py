# ml/black-friday with confluent-kafka: the windows and the model of
# ml_score.py, consumed as a group; each batch is produced without waiting
# per order, then flushed once and committed once.
import json
import math
import os
import time
from collections import defaultdict, deque
from datetime import datetime, timedelta
from confluent_kafka import Consumer, KafkaException, Producer

WINDOW = timedelta(minutes=10)
IDLE = 3.0  # seconds without an order, once orders came: the sale is over
brokers, topic = os.environ["KAFKA_BOOTSTRAP_SERVERS"], os.environ["INPUT_TOPIC"]
output = os.environ["PREDICTIONS_TOPIC"]
with open(os.environ["MODEL_FILE"]) as f:
    model = json.load(f)
terms = list(zip(model["features"], model["weights"], model["mean"], model["scale"]))


def score(x):
    z = model["bias"]
    for name, weight, mean, scale in terms:
        z += weight * (x[name] - mean) / scale
    return 1 / (1 + math.exp(-z))


def delivered(err, _msg):
    if err is not None:
        raise KafkaException(err)


c = Consumer({"bootstrap.servers": brokers, "group.id": os.environ["GROUP"],
              "auto.offset.reset": "earliest", "enable.auto.commit": False})
c.subscribe([topic])
prod = Producer({"bootstrap.servers": brokers, "linger.ms": 5})

windows = defaultdict(deque)  # customer_id -> (event time, amount), oldest first
sums = defaultdict(int)
scored, last = 0, time.monotonic()
while True:
    # A short timeout: consume waits for the whole batch or the timeout,
    # and an order must not wait for others to fill it.
    msgs = c.consume(num_messages=1000, timeout=0.02)
    if not msgs:
        if scored and time.monotonic() - last >= IDLE:
            break
        continue
    last = time.monotonic()
    for msg in msgs:
        if msg.error():
            raise SystemExit(str(msg.error()))
        o = json.loads(msg.value())
        at = datetime.fromisoformat(o["event_time"])
        cid = o["customer_id"]
        w = windows[cid]
        while w and w[0][0] <= at - WINDOW:
            sums[cid] -= w.popleft()[1]
        w.append((at, o["amount_cents"]))
        sums[cid] += o["amount_cents"]
        x = {"amount_cents": o["amount_cents"], "orders_10m": len(w), "sum_10m": sums[cid]}
        out = {"order_id": o["order_id"], "score": score(x), "model_version": model["model_version"]}
        prod.produce(output, key=cid, value=json.dumps(out), on_delivery=delivered)
        scored += 1
    if prod.flush(30) != 0:
        raise SystemExit("predictions not delivered")
    c.commit(asynchronous=False)
c.close()
print(f"scored {scored} orders")
