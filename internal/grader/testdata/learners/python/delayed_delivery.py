# pulsar/delayed-delivery with the Python client: deliver_after on every
# message, DELAY parsed from "4s".
import os
from datetime import timedelta

import pulsar

delay = timedelta(seconds=int(os.environ["DELAY"].rstrip("s")))
client = pulsar.Client(os.environ["PULSAR_SERVICE_URL"])
producer = client.create_producer(os.environ["TOPIC"])
with open(os.environ["INPUT_FILE"]) as f:
    for line in f:
        producer.send(line.rstrip("\n").encode(), deliver_after=delay)
client.close()
