# broker-restart with confluent-kafka: copy INPUT_TOPIC to OUTPUT_TOPIC as
# GROUP, flushing each batch before committing it, and stop once the group
# has stayed caught up for 5 s. While the broker is away, librdkafka
# reports the outage to its error callback (logged), and refuses offset
# lookups and commits: a lookup that fails is "not caught up", a commit is
# tried again.
import os
import sys
import time
from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition

brokers = os.environ["KAFKA_BOOTSTRAP_SERVERS"]
src, dst, group = os.environ["INPUT_TOPIC"], os.environ["OUTPUT_TOPIC"], os.environ["GROUP"]
c = Consumer({"bootstrap.servers": brokers, "group.id": group,
              "auto.offset.reset": "earliest", "enable.auto.commit": False})
p = Producer({"bootstrap.servers": brokers, "enable.idempotence": True})
c.subscribe([src])


def caught_up():
    try:
        parts = c.list_topics(src, timeout=2).topics[src].partitions
        tps = [TopicPartition(src, n) for n in parts]
        committed = {tp.partition: tp.offset for tp in c.committed(tps, timeout=2)}
        for tp in tps:
            high = c.get_watermark_offsets(tp, timeout=2)[1]
            if high > 0 and committed.get(tp.partition, -1) < high:
                return False
        return True
    except KafkaException as e:
        print("looking at the group:", e, file=sys.stderr)
        return False


since = None
while True:
    if caught_up():
        since = since or time.monotonic()
        if time.monotonic() - since >= 5:
            break
    else:
        since = None
    batch = c.consume(500, 1.0)
    wrote = False
    for msg in batch:
        if msg.error():
            print("reading:", msg.error(), file=sys.stderr)
            continue
        p.produce(dst, key=msg.key(), value=msg.value())
        wrote = True
    if not wrote:
        continue
    since = None
    while p.flush(1) > 0:
        print("still writing", file=sys.stderr)
    while True:
        try:
            c.commit(asynchronous=False)
            break
        except KafkaException as e:
            print("committing:", e, file=sys.stderr)
            time.sleep(0.5)
c.close()
