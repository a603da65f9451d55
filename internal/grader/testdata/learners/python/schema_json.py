# pulsar/schema with the Python client: the Record class is the schema, and
# JsonSchema registers it (its fields are nullable unions, unlike Go's).
import json
import os

import pulsar
from pulsar.schema import Integer, JsonSchema, Long, Record, String


class Order(Record):
    order_id = String()
    customer_id = String()
    seq = Integer()
    amount_cents = Long()


client = pulsar.Client(os.environ["PULSAR_SERVICE_URL"])
producer = client.create_producer(os.environ["TOPIC"], schema=JsonSchema(Order))
with open(os.environ["INPUT_FILE"]) as f:
    for line in f:
        producer.send(Order(**json.loads(line)))
client.close()
