package proxy

import (
	"encoding/binary"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// produced is what the broker accepted of a produce request: the records
// of every partition it answered without an error.
func (p *Proxy) produced(req *kmsg.ProduceRequest, resp *kmsg.ProduceResponse) Request {
	out := Request{Kind: Produce, Records: map[string]int64{}, Transactional: req.TransactionID != nil}
	ok := map[string]map[int32]bool{}
	for _, t := range resp.Topics {
		name := p.topicName(t.Topic, t.TopicID)
		for _, part := range t.Partitions {
			if part.ErrorCode == 0 {
				if ok[name] == nil {
					ok[name] = map[int32]bool{}
				}
				ok[name][part.Partition] = true
			}
		}
	}
	for _, t := range req.Topics {
		name := p.topicName(t.Topic, t.TopicID)
		for _, part := range t.Partitions {
			if ok[name][part.Partition] {
				out.Records[name] += countRecords(part.Records)
			}
		}
	}
	return out
}

// asked is what an offset commit request asks to commit.
func (p *Proxy) asked(req *kmsg.OffsetCommitRequest) []commitPart {
	var asked []commitPart
	for _, t := range req.Topics {
		for _, part := range t.Partitions {
			asked = append(asked, commitPart{p.topicName(t.Topic, t.TopicID), part.Partition, part.Offset})
		}
	}
	return asked
}

func (p *Proxy) commitSent(req *kmsg.OffsetCommitRequest) Request {
	return Request{Kind: CommitSent, Group: req.Group, Offsets: accepted(p.asked(req), nil)}
}

func (p *Proxy) committed(req *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse) Request {
	asked := p.asked(req)
	var refused []commitPart
	for _, t := range resp.Topics {
		for _, part := range t.Partitions {
			if part.ErrorCode != 0 {
				refused = append(refused, commitPart{topic: p.topicName(t.Topic, t.TopicID), partition: part.Partition})
			}
		}
	}
	return Request{Kind: Commit, Group: req.Group, Offsets: accepted(asked, refused)}
}

func (p *Proxy) txnCommitted(req *kmsg.TxnOffsetCommitRequest, resp *kmsg.TxnOffsetCommitResponse) Request {
	var asked, refused []commitPart
	for _, t := range req.Topics {
		for _, part := range t.Partitions {
			asked = append(asked, commitPart{p.topicName(t.Topic, t.TopicID), part.Partition, part.Offset})
		}
	}
	for _, t := range resp.Topics {
		for _, part := range t.Partitions {
			if part.ErrorCode != 0 {
				refused = append(refused, commitPart{topic: p.topicName(t.Topic, t.TopicID), partition: part.Partition})
			}
		}
	}
	return Request{Kind: Commit, Group: req.Group, Offsets: accepted(asked, refused), Transactional: true}
}

func (p *Proxy) fetched(req *kmsg.FetchRequest) Request {
	out := Request{Kind: Fetch, Offsets: map[string]map[int32]int64{}}
	for _, t := range req.Topics {
		name := p.topicName(t.Topic, t.TopicID)
		for _, part := range t.Partitions {
			if out.Offsets[name] == nil {
				out.Offsets[name] = map[int32]int64{}
			}
			out.Offsets[name][part.Partition] = part.FetchOffset
		}
	}
	return out
}

type commitPart struct {
	topic     string
	partition int32
	offset    int64
}

func accepted(asked, refused []commitPart) map[string]map[int32]int64 {
	no := map[commitPart]bool{}
	for _, r := range refused {
		no[commitPart{topic: r.topic, partition: r.partition}] = true
	}
	out := map[string]map[int32]int64{}
	for _, a := range asked {
		if no[commitPart{topic: a.topic, partition: a.partition}] {
			continue
		}
		if out[a.topic] == nil {
			out[a.topic] = map[int32]int64{}
		}
		out[a.topic][a.partition] = a.offset
	}
	return out
}

// countRecords counts the data records in a partition's record batches
// (magic 2, the only format a current client writes); control batches
// (transaction markers) do not count.
func countRecords(batches []byte) int64 {
	const (
		lengthAt     = 8  // after baseOffset
		attributesAt = 21 // after length, leader epoch, magic, crc
		countAt      = 57 // after last offset delta, timestamps, producer id and epoch, base sequence
		control      = 0x20
	)
	var n int64
	for len(batches) >= countAt+4 {
		size := int(int32(binary.BigEndian.Uint32(batches[lengthAt:])))
		end := 12 + size
		if size <= 0 || end > len(batches) {
			break
		}
		if binary.BigEndian.Uint16(batches[attributesAt:])&control == 0 {
			n += int64(int32(binary.BigEndian.Uint32(batches[countAt:])))
		}
		batches = batches[end:]
	}
	return n
}
