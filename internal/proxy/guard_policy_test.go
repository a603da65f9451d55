package proxy

import (
	"slices"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func str(s string) *string { return &s }

// The policy, request by request: what a guard refuses, and whether what
// is left still goes to the broker.
func TestWhatAGuardRefuses(t *testing.T) {
	p := &Proxy{topics: map[[16]byte]string{{1}: "mine-orders", {2}: "theirs-orders"},
		guard: func(r Resource) bool { return strings.HasPrefix(r.Name, "mine-") }}
	type want struct {
		denied []string // "type name"; nil: the request passes as it is
		whole  bool     // nothing is left for the broker
	}
	topic := func(names ...string) []kmsg.CreateTopicsRequestTopic {
		var out []kmsg.CreateTopicsRequestTopic
		for _, n := range names {
			out = append(out, kmsg.CreateTopicsRequestTopic{Topic: n})
		}
		return out
	}
	for _, tc := range []struct {
		name string
		req  kmsg.Request
		want want
	}{
		// Reads pass: the proxy does not even decode them (reads), and
		// a metadata request only loses its leave to create others'
		// topics.
		{"metadata of another's topic", &kmsg.MetadataRequest{Topics: []kmsg.MetadataRequestTopic{{Topic: str("theirs-orders")}}}, want{}},
		{"produce to its own topic", &kmsg.ProduceRequest{Acks: -1, Topics: []kmsg.ProduceRequestTopic{{Topic: "mine-orders"}}}, want{}},
		{"produce to another's", &kmsg.ProduceRequest{Acks: -1, Topics: []kmsg.ProduceRequestTopic{{Topic: "theirs-orders"}}}, want{[]string{"topic theirs-orders"}, true}},
		{"produce to both", &kmsg.ProduceRequest{Acks: -1, Topics: []kmsg.ProduceRequestTopic{{Topic: "mine-orders"}, {Topic: "theirs-orders"}}}, want{[]string{"topic theirs-orders"}, false}},
		{"produce by topic id", &kmsg.ProduceRequest{Version: 13, Acks: -1, Topics: []kmsg.ProduceRequestTopic{{TopicID: [16]byte{2}}}}, want{[]string{"topic theirs-orders"}, true}},
		{"produce to an unknown topic id", &kmsg.ProduceRequest{Version: 13, Acks: -1, Topics: []kmsg.ProduceRequestTopic{{TopicID: [16]byte{9}}}}, want{[]string{"topic topic-id-09000000000000000000000000000000"}, true}},
		{"produce in another's transaction", &kmsg.ProduceRequest{TransactionID: str("theirs-txn"), Topics: []kmsg.ProduceRequestTopic{{Topic: "mine-orders"}}}, want{[]string{"transactional id theirs-txn"}, true}},
		{"create topics", &kmsg.CreateTopicsRequest{Topics: topic("mine-a", "theirs-a")}, want{[]string{"topic theirs-a"}, false}},
		{"create Kafka's own topic", &kmsg.CreateTopicsRequest{Topics: topic("__consumer_offsets")}, want{[]string{"topic __consumer_offsets"}, true}},
		{"delete topics by name", &kmsg.DeleteTopicsRequest{TopicNames: []string{"theirs-orders", "mine-orders"}}, want{[]string{"topic theirs-orders"}, false}},
		{"delete a topic by id", &kmsg.DeleteTopicsRequest{Version: 6, Topics: []kmsg.DeleteTopicsRequestTopic{{TopicID: [16]byte{2}}}}, want{[]string{"topic theirs-orders"}, true}},
		{"delete Kafka's offsets topic", &kmsg.DeleteTopicsRequest{TopicNames: []string{"__consumer_offsets"}}, want{[]string{"topic __consumer_offsets"}, true}},
		{"delete records", &kmsg.DeleteRecordsRequest{Topics: []kmsg.DeleteRecordsRequestTopic{{Topic: "theirs-orders"}}}, want{[]string{"topic theirs-orders"}, true}},
		{"add partitions", &kmsg.CreatePartitionsRequest{Topics: []kmsg.CreatePartitionsRequestTopic{{Topic: "theirs-orders"}}}, want{[]string{"topic theirs-orders"}, true}},
		{"alter a topic's configs", &kmsg.AlterConfigsRequest{Resources: []kmsg.AlterConfigsRequestResource{{ResourceType: kmsg.ConfigResourceTypeTopic, ResourceName: "theirs-orders"}}}, want{[]string{"topic theirs-orders"}, true}},
		{"alter its own topic's configs", &kmsg.IncrementalAlterConfigsRequest{Resources: []kmsg.IncrementalAlterConfigsRequestResource{{ResourceType: kmsg.ConfigResourceTypeTopic, ResourceName: "mine-orders"}}}, want{}},
		{"alter a broker's configs", &kmsg.IncrementalAlterConfigsRequest{Resources: []kmsg.IncrementalAlterConfigsRequestResource{{ResourceType: kmsg.ConfigResourceTypeBroker, ResourceName: "1"}}}, want{[]string{"the cluster"}, true}},
		{"alter a group's configs", &kmsg.IncrementalAlterConfigsRequest{Resources: []kmsg.IncrementalAlterConfigsRequestResource{{ResourceType: 32, ResourceName: "theirs-group"}}}, want{[]string{"group theirs-group"}, true}},
		{"delete groups", &kmsg.DeleteGroupsRequest{Groups: []string{"mine-group", "theirs-group"}}, want{[]string{"group theirs-group"}, false}},
		{"delete a group's offsets", &kmsg.OffsetDeleteRequest{Group: "theirs-group"}, want{[]string{"group theirs-group"}, true}},
		{"commit its own group's offsets on another's topic", &kmsg.OffsetCommitRequest{Group: "mine-group", Topics: []kmsg.OffsetCommitRequestTopic{{Topic: "theirs-orders"}}}, want{}},
		{"commit another's group's offsets", &kmsg.OffsetCommitRequest{Group: "theirs-group"}, want{[]string{"group theirs-group"}, true}},
		{"join another's group", &kmsg.JoinGroupRequest{Group: "theirs-group"}, want{[]string{"group theirs-group"}, true}},
		{"heartbeat in another's group", &kmsg.HeartbeatRequest{Group: "theirs-group"}, want{[]string{"group theirs-group"}, true}},
		{"make another's member leave", &kmsg.LeaveGroupRequest{Group: "theirs-group"}, want{[]string{"group theirs-group"}, true}},
		{"sync in another's group", &kmsg.SyncGroupRequest{Group: "theirs-group"}, want{[]string{"group theirs-group"}, true}},
		{"join another's group (KIP-848)", &kmsg.ConsumerGroupHeartbeatRequest{Group: "theirs-group"}, want{[]string{"group theirs-group"}, true}},
		{"join another's share group", &kmsg.ShareGroupHeartbeatRequest{GroupID: "theirs-group"}, want{[]string{"group theirs-group"}, true}},
		{"join its own group", &kmsg.JoinGroupRequest{Group: "mine-group"}, want{}},
		{"an idempotent producer's id", &kmsg.InitProducerIDRequest{}, want{}},
		{"another's transactional id", &kmsg.InitProducerIDRequest{TransactionalID: str("theirs-txn")}, want{[]string{"transactional id theirs-txn"}, true}},
		{"end another's transaction", &kmsg.EndTxnRequest{TransactionalID: "theirs-txn"}, want{[]string{"transactional id theirs-txn"}, true}},
		{"another's group in its transaction", &kmsg.AddOffsetsToTxnRequest{TransactionalID: "mine-txn", Group: "theirs-group"}, want{[]string{"group theirs-group"}, true}},
		{"another's topic in its transaction", &kmsg.AddPartitionsToTxnRequest{TransactionalID: "mine-txn", Topics: []kmsg.AddPartitionsToTxnRequestTopic{{Topic: "theirs-orders"}}}, want{[]string{"topic theirs-orders"}, true}},
		{"commit offsets in another's transaction", &kmsg.TxnOffsetCommitRequest{TransactionalID: "theirs-txn", Group: "mine-group"}, want{[]string{"transactional id theirs-txn"}, true}},
		// The cluster as a whole is nobody's.
		{"create ACLs", &kmsg.CreateACLsRequest{Creations: []kmsg.CreateACLsRequestCreation{{}}}, want{[]string{"the cluster"}, true}},
		{"set client quotas", &kmsg.AlterClientQuotasRequest{}, want{[]string{"the cluster"}, true}},
		{"move partitions", &kmsg.AlterPartitionAssignmentsRequest{}, want{[]string{"the cluster"}, true}},
		{"unregister a broker", &kmsg.UnregisterBrokerRequest{}, want{[]string{"the cluster"}, true}},
		{"remove a controller", &kmsg.RemoveRaftVoterRequest{}, want{[]string{"the cluster"}, true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if reads[tc.req.Key()] {
				t.Fatalf("%s is taken for a read", kmsg.NameForKey(tc.req.Key()))
			}
			ref := p.screen(tc.req)
			var denied []string
			whole := false
			if ref != nil {
				for _, d := range ref.denied {
					denied = append(denied, d.String())
				}
				whole = ref.whole
			}
			if !slices.Equal(denied, tc.want.denied) || whole != tc.want.whole {
				t.Errorf("denied %q (whole %v), want %q (whole %v)", denied, whole, tc.want.denied, tc.want.whole)
			}
			if ref != nil && ref.whole {
				resp := tc.req.ResponseKind()
				ref.fill(resp)
				if ref.unanswerable {
					t.Errorf("a refused %s has no answer to refuse with", kmsg.NameForKey(tc.req.Key()))
				}
			}
		})
	}
}

// A request to create others' topics by asking their metadata goes
// without leave to create, and its answer says refused, not unknown.
func TestAGuardKeepsMetadataFromCreatingOthersTopics(t *testing.T) {
	p := &Proxy{topics: map[[16]byte]string{}, guard: func(r Resource) bool { return strings.HasPrefix(r.Name, "mine-") }}
	req := &kmsg.MetadataRequest{Version: 12, AllowAutoTopicCreation: true, Topics: []kmsg.MetadataRequestTopic{{Topic: str("theirs-new")}, {Topic: str("mine-new")}}}
	ref := p.screen(req)
	if ref == nil || ref.whole || len(ref.denied) != 0 || req.AllowAutoTopicCreation {
		t.Fatalf("screened to %+v, leave to create %v", ref, req.AllowAutoTopicCreation)
	}
	resp := req.ResponseKind().(*kmsg.MetadataResponse)
	for _, n := range []string{"theirs-new", "mine-new"} {
		resp.Topics = append(resp.Topics, kmsg.MetadataResponseTopic{Topic: str(n), ErrorCode: 3})
	}
	ref.fill(resp)
	if resp.Topics[0].ErrorCode != errTopic || resp.Topics[1].ErrorCode != 3 {
		t.Errorf("answer's errors %d and %d, want %d for theirs-new and 3 for mine-new", resp.Topics[0].ErrorCode, resp.Topics[1].ErrorCode, errTopic)
	}
	own := &kmsg.MetadataRequest{AllowAutoTopicCreation: true, Topics: []kmsg.MetadataRequestTopic{{Topic: str("mine-new")}}}
	if p.screen(own) != nil || !own.AllowAutoTopicCreation {
		t.Error("a program may still have its own topics created as it asks for them")
	}
}

// Every request kmsg knows is a read, or screened: none passes by being
// forgotten. (Requests screened item by item pass when they name nothing:
// TestWhatAGuardRefuses gives them names.)
func TestEveryRequestIsAReadOrScreened(t *testing.T) {
	p := &Proxy{topics: map[[16]byte]string{}, guard: func(Resource) bool { return false }}
	byItem := []kmsg.Request{&kmsg.MetadataRequest{}, &kmsg.ProduceRequest{}, &kmsg.CreateTopicsRequest{}, &kmsg.DeleteTopicsRequest{},
		&kmsg.DeleteRecordsRequest{}, &kmsg.InitProducerIDRequest{}, &kmsg.AlterConfigsRequest{}, &kmsg.CreatePartitionsRequest{},
		&kmsg.DeleteGroupsRequest{}, &kmsg.IncrementalAlterConfigsRequest{}}
	for k := int16(0); k < 200; k++ {
		req := kmsg.RequestForKey(k)
		if req == nil || reads[k] || slices.ContainsFunc(byItem, func(r kmsg.Request) bool { return r.Key() == k }) {
			continue
		}
		if ref := p.screen(req); ref == nil || !ref.whole {
			t.Errorf("%s passes a guard that owns nothing", kmsg.NameForKey(k))
		}
	}
	for _, r := range []kmsg.Request{&kmsg.FetchRequest{}, &kmsg.ListOffsetsRequest{}, &kmsg.OffsetFetchRequest{}, &kmsg.DescribeGroupsRequest{}, &kmsg.ListGroupsRequest{}, &kmsg.DescribeConfigsRequest{}} {
		if !reads[r.Key()] {
			t.Errorf("%s is not a read", kmsg.NameForKey(r.Key()))
		}
	}
}
