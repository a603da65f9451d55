# pulsar/produce-consume with the Python client: subscribe first, publish,
# then receive and acknowledge every message.
import os
import pulsar

client = pulsar.Client(os.environ["PULSAR_SERVICE_URL"])
consumer = client.subscribe(os.environ["TOPIC"], os.environ["SUBSCRIPTION"])
producer = client.create_producer(os.environ["TOPIC"])
with open(os.environ["INPUT_FILE"]) as f:
    lines = [l.rstrip("\n") for l in f]
for line in lines:
    producer.send(line.encode())
for _ in lines:
    msg = consumer.receive(timeout_millis=10000)
    consumer.acknowledge(msg)
client.close()
