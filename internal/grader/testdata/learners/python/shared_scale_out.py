# pulsar/shared-scale-out with the Python client: four consumers on one
# Shared subscription, each in its own thread.
import json
import os
import threading
import pulsar

client = pulsar.Client(os.environ["PULSAR_SERVICE_URL"])
out = client.create_producer(os.environ["OUTPUT_TOPIC"])

def work(name):
    c = client.subscribe(os.environ["TOPIC"], os.environ["SUBSCRIPTION"],
                         consumer_type=pulsar.ConsumerType.Shared, consumer_name=name,
                         initial_position=pulsar.InitialPosition.Earliest, receiver_queue_size=10)
    while True:
        try:
            msg = c.receive(timeout_millis=3000)
        except pulsar.Timeout:
            break
        order = json.loads(msg.data())
        out.send(order["order_id"].encode(), properties={"consumer": name})
        c.acknowledge(msg)
    c.close()

threads = [threading.Thread(target=work, args=(f"py-{i}",)) for i in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
client.close()
