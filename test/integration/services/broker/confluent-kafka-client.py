"""Drives the broker with confluent-kafka-python (librdkafka underneath) and prints one JSON report.

Usage: confluent-kafka-client.py BOOTSTRAP. Every wait is bounded; a step that does not finish
raises, so the process exits non-zero with the reason on stderr.
"""
import json
import sys
import time

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

bootstrap = sys.argv[1]
T0 = 1_700_000_000_000
report = {"version": __import__("confluent_kafka").version()[0], "librdkafka": __import__("confluent_kafka").libversion()[0]}

admin = AdminClient({"bootstrap.servers": bootstrap})
futures = admin.create_topics([NewTopic("py-events", 3, 1), NewTopic("py-times", 1, 1)], request_timeout=15)
for name, f in futures.items():
    f.result(timeout=20)
report["created"] = sorted(t for t in admin.list_topics(timeout=10).topics if t.startswith("py-"))

producer = Producer({"bootstrap.servers": bootstrap, "compression.type": "lz4", "linger.ms": 20})
for i in range(20):
    producer.produce("py-events", key=f"key-{i}", value=f"value-{i}", headers=[("n", str(i).encode())])
for i in range(10):
    producer.produce("py-times", value=f"t{i}", timestamp=T0 + i * 1000)
left = producer.flush(20)
if left:
    raise RuntimeError(f"{left} messages not delivered")


def consume(n_max, deadline_s):
    consumer = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": "py-group",
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
        "session.timeout.ms": 6000,
    })
    consumer.subscribe(["py-events"])
    got = []
    deadline = time.time() + deadline_s
    while len(got) < n_max and time.time() < deadline:
        msg = consumer.poll(0.5)
        if msg is None or msg.error():
            continue
        got.append({"key": msg.key().decode(), "value": msg.value().decode(),
                    "headers": {k: v.decode() for k, v in (msg.headers() or [])}})
    if got:
        consumer.commit(asynchronous=False)
    consumer.close()
    return got


report["first"] = consume(10, 30)
report["second"] = consume(20, 8)

probe = Consumer({"bootstrap.servers": bootstrap, "group.id": "py-group"})
found = probe.offsets_for_times([TopicPartition("py-times", 0, T0 + 4500)], timeout=10)
past = probe.offsets_for_times([TopicPartition("py-times", 0, 9_999_999_999_999)], timeout=10)
committed = probe.committed([TopicPartition("py-events", p) for p in range(3)], timeout=10)
report["offset_at_t0_plus_4500"] = found[0].offset
report["offset_past_end"] = past[0].offset
report["committed_total"] = sum(tp.offset for tp in committed if tp.offset >= 0)
probe.close()

print(json.dumps(report))
