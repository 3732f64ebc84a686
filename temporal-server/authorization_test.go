package main

import (
	"context"
	"crypto/x509/pkix"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.temporal.io/server/common/api"
	"go.temporal.io/server/common/authorization"
)

func writePolicy(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "policy.json")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadPolicyRefusesWhatItCannotEnforce(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{`{"identities":{"w":{"cluster":[],"namespaces":{"ns":["PollWorkflowTaskQueue","StartWorkflow"]}}}}`, `identities.w.namespaces.ns: "StartWorkflow"`},
		{`{"identities":{"w":{"cluster":["superuser"],"namespaces":{}}}}`, `identities.w.cluster: "superuser"`},
		{`{"identities":{}}`, "none granted"},
		{`{"identities":{"w":{"cluster":[],"namespaces":{}}},"extra":1}`, `unknown field "extra"`},
	} {
		_, err := LoadPolicy(writePolicy(t, tc.body))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("LoadPolicy(%s) = %v, want an error naming %s", tc.body, err, tc.want)
		}
	}
}

func TestAuthorizerGrantsByIdentityMethodAndNamespace(t *testing.T) {
	policy, err := LoadPolicy(writePolicy(t, `{"identities":{
		"bridge":{"cluster":[],"namespaces":{"ns":["StartWorkflowExecution"]}},
		"ui":{"cluster":["read"],"namespaces":{"*":["read"]}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	var refused []string
	a := policyAuthorizer{policy: policy, log: func(id, method, ns string) { refused = append(refused, id+" "+method+" "+ns) }}
	claims := func(cn string) *authorization.Claims {
		c, _ := certificateClaimMapper{}.GetClaims(&authorization.AuthInfo{TLSSubject: &pkix.Name{CommonName: cn}})
		return c
	}
	call := func(cn, method, ns string) bool {
		res, err := a.Authorize(context.Background(), claims(cn), &authorization.CallTarget{APIName: api.WorkflowServicePrefix + method, Namespace: ns})
		if err != nil {
			t.Fatal(err)
		}
		return res.Decision == authorization.DecisionAllow
	}
	for _, tc := range []struct {
		cn, method, ns string
		allow          bool
	}{
		{"bridge", "StartWorkflowExecution", "ns", true},
		{"bridge", "StartWorkflowExecution", "other", false},
		{"bridge", "TerminateWorkflowExecution", "ns", false},
		{"ui", "DescribeWorkflowExecution", "any", true},
		{"ui", "SignalWorkflowExecution", "any", false},
		{"ui", "ListNamespaces", "", true},
		{"intruder", "DescribeNamespace", "ns", false},
		{"", "DescribeNamespace", "ns", false},
		{"intruder", "GetSystemInfo", "", true},
	} {
		if got := call(tc.cn, tc.method, tc.ns); got != tc.allow {
			t.Errorf("%q calling %s in %q: allowed %v, want %v", tc.cn, tc.method, tc.ns, got, tc.allow)
		}
	}
	if len(refused) != 5 {
		t.Errorf("refusals logged: %v, want one per refused call (5)", refused)
	}
}
