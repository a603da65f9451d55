package proxy_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/streamlab/streamlab/internal/proxy"
)

func TestAdminResourceNamesWhatAPathActsOn(t *testing.T) {
	for path, want := range map[string]proxy.Resource{
		"/admin/v2/persistent/public/default/mine-orders":                         {Type: proxy.Topic, Name: "persistent://public/default/mine-orders"},
		"/admin/v2/persistent/public/default/mine-orders/partitions":              {Type: proxy.Topic, Name: "persistent://public/default/mine-orders"},
		"/admin/v2/persistent/public/default/mine-orders/subscription/s/skip_all": {Type: proxy.Topic, Name: "persistent://public/default/mine-orders"},
		"/admin/v2/non-persistent/public/default/mine-orders":                     {Type: proxy.Topic, Name: "non-persistent://public/default/mine-orders"},
		"/admin/v2/schemas/public/default/mine-orders/schema":                     {Type: proxy.Topic, Name: "persistent://public/default/mine-orders"},
		"/admin/v2/persistent/public/mine-ns/orders%20x":                          {Type: proxy.Topic, Name: "persistent://public/mine-ns/orders x"},
		"/admin/v2/namespaces/public/mine-ns/retention":                           {Type: proxy.Namespace, Name: "public/mine-ns"},
		"/admin/v2/namespaces/public/default":                                     {Type: proxy.Namespace, Name: "public/default"},
		"/admin/v2/persistent/public/default":                                     {Type: proxy.Namespace, Name: "public/default"},
		"/admin/v2/namespaces/public":                                             {Type: proxy.Tenant, Name: "public"},
		"/admin/v2/tenants/public":                                                {Type: proxy.Tenant, Name: "public"},
		"/admin/v2/clusters/standalone":                                           {Type: proxy.Cluster},
		"/admin/v2/brokers/configuration/x":                                       {Type: proxy.Cluster},
		"/admin/v3/functions/public/default/f":                                    {Type: proxy.Cluster},
		"/admin/namespaces/public/standalone/default":                             {Type: proxy.Cluster},
		// A path that could step out of the resource it seems to name
		// names none.
		"/admin/v2/persistent/public/default/mine-orders/../../../namespaces/public/default": {Type: proxy.Cluster},
		"/admin/v2/persistent/public/default/mine-orders/%2e%2e/theirs":                      {Type: proxy.Cluster},
		"/admin/v2/persistent/public/default/mine-orders/..;/theirs":                         {Type: proxy.Cluster},
		"/admin/v2/persistent/public/default/mine%2forders":                                  {Type: proxy.Cluster},
		"/admin/v2/persistent/public//default/mine-orders":                                   {Type: proxy.Cluster},
	} {
		if got := proxy.AdminResource(path); got != want {
			t.Errorf("%s: %+v, want %+v", path, got, want)
		}
	}
}

// Through a guarded admin proxy a program reads anything and changes
// its own topics and namespaces; any other change is answered 403 with
// Pulsar's error shape and never reaches the cluster.
func TestAdminProxyRefusesChangesToOthersResources(t *testing.T) {
	var mu sync.Mutex
	var reached []string
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		reached = append(reached, r.Method+" "+r.URL.Path)
		mu.Unlock()
		if r.URL.Path == "/admin/v2/persistent/public/default/mine-moved" {
			// A broker sending the client on: the next request goes
			// through the proxy too, and is screened.
			http.Redirect(w, r, "http://"+r.Host+"/admin/v2/persistent/public/default/theirs-orders", http.StatusTemporaryRedirect)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer upstream.Close()
	guard := func(r proxy.Resource) bool {
		return strings.HasPrefix(r.Name, "persistent://public/default/mine-") || strings.HasPrefix(r.Name, "public/mine-")
	}
	var refused []proxy.Request
	a, err := proxy.StartAdmin(upstream.URL, nil, guard, func(r proxy.Request) proxy.Verdict {
		mu.Lock()
		refused = append(refused, r)
		mu.Unlock()
		return proxy.Deliver
	})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()

	do := func(method, path string) *http.Response {
		t.Helper()
		req, err := http.NewRequest(method, a.URL()+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	for _, tc := range []struct {
		method, path string
		status       int
	}{
		{"DELETE", "/admin/v2/persistent/public/default/mine-orders", 204},
		{"POST", "/admin/v2/persistent/public/default/mine-orders/deduplication", 204},
		{"POST", "/admin/v2/namespaces/public/mine-ns/retention", 204},
		{"GET", "/admin/v2/persistent/public/default/theirs-orders/stats", 204},
		{"GET", "/admin/v2/namespaces/public", 204},
		{"DELETE", "/admin/v2/persistent/public/default/theirs-orders", 403},
		{"POST", "/admin/v2/persistent/public/default/theirs-orders/subscription/s/skip_all", 403},
		{"DELETE", "/admin/v2/namespaces/public/default", 403},
		{"DELETE", "/admin/v2/namespaces/public/theirs-ns", 403},
		{"DELETE", "/admin/v2/tenants/public", 403},
		{"POST", "/admin/v2/brokers/configuration/x/y", 403},
		{"DELETE", "/admin/v2/persistent/public/default/mine-orders/../../../namespaces/public/default", 403},
		{"PUT", "/admin/v2/persistent/public/default/mine-moved", 403}, // redirected to theirs-orders
	} {
		resp := do(tc.method, tc.path)
		var body struct{ Reason string }
		if tc.status == 403 {
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.Reason == "" {
				t.Errorf("%s %s: a refusal without a reason (%v)", tc.method, tc.path, err)
			}
		}
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("%s %s: %d, want %d", tc.method, tc.path, resp.StatusCode, tc.status)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for _, r := range reached {
		if strings.Contains(r, "theirs") && !strings.HasPrefix(r, "GET") || strings.HasPrefix(r, "DELETE /admin/v2/namespaces/public/default") {
			t.Errorf("%s reached the cluster", r)
		}
	}
	if len(reached) != 6 || len(refused) != 8 {
		t.Errorf("%d requests reached the cluster and %d were refused, want 6 and 8: %q", len(reached), len(refused), reached)
	}
}
