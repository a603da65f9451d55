# create-topic with confluent-kafka's AdminClient.
import os
from confluent_kafka.admin import AdminClient, NewTopic

admin = AdminClient({"bootstrap.servers": os.environ["KAFKA_BOOTSTRAP_SERVERS"]})
topic = NewTopic(os.environ["TOPIC"], num_partitions=3, replication_factor=1,
                 config={"retention.ms": str(14 * 24 * 3600 * 1000)})
for name, future in admin.create_topics([topic]).items():
    future.result()
    print("created", name)
