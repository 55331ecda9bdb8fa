from pipeline.topology import PARTS, TOPOLOGY, Topology


def test_every_part_has_one_queue_with_a_dlq_and_safe_visibility() -> None:
    assert sorted(q.part for q in TOPOLOGY.queues) == sorted(PARTS)
    for queue in TOPOLOGY.queues:
        assert queue.visibility_timeout_s >= 6 * queue.function_timeout_s
        assert queue.dlq_name.endswith("-dlq")
        assert 1 <= queue.batch_size <= 10
        assert queue.max_receive_count >= 2


def test_names_follow_the_prefix_and_the_pattern_pins_bucket_and_prefix() -> None:
    topology = Topology(prefix="acme")
    assert topology.uploads_bucket_name == "acme-uploads"
    pattern = topology.event_pattern()
    assert pattern["detail"]["bucket"]["name"] == ["acme-uploads"]
    assert pattern["detail"]["object"]["key"] == [{"prefix": "uploads/"}]
    assert pattern["detail-type"] == ["Object Created"]
