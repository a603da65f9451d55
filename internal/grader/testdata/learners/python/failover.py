# pulsar/failover with the Python client: a Failover subscription, the
# standby waiting in receive until the active instance is gone.
import os
import pulsar

instance = os.environ["INSTANCE"]
client = pulsar.Client(os.environ["PULSAR_SERVICE_URL"])
out = client.create_producer(os.environ["OUTPUT_TOPIC"])
c = client.subscribe(os.environ["INPUT_TOPIC"], os.environ["SUBSCRIPTION"],
                     consumer_type=pulsar.ConsumerType.Failover, consumer_name=f"py-{instance}",
                     initial_position=pulsar.InitialPosition.Earliest)
idle = 10000
while True:
    try:
        msg = c.receive(timeout_millis=idle)
    except pulsar.Timeout:
        break
    idle = 5000
    out.send(msg.data(), partition_key=msg.partition_key(), properties={"instance": instance})
    c.acknowledge(msg)
out.flush()
client.close()
