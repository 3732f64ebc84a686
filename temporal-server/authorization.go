// The platform's Temporal authorization: each client certificate's common name is a workload
// identity, and a policy file says which APIs each identity may call in which namespaces. An
// identity the policy does not name may call nothing but the health checks, so a certificate that
// chains to the platform CA is no longer an administrator by itself.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"

	"go.temporal.io/server/common/api"
	"go.temporal.io/server/common/authorization"
)

// Grants of one identity. Each entry is an API method name (StartWorkflowExecution) or a keyword:
// "read" (every read-only API), "write" (every read-only and write API), "admin" (everything).
type Grants struct {
	// Cluster-scoped APIs (GetSystemInfo, ListNamespaces, ...).
	Cluster []string `json:"cluster"`
	// Per namespace; "*" stands for every namespace.
	Namespaces map[string][]string `json:"namespaces"`
}

// Policy is the file named by TEMPORAL_AUTHORIZATION_POLICY.
type Policy struct {
	Identities map[string]Grants `json:"identities"`
}

var keywords = map[string]api.Access{"read": api.AccessReadOnly, "write": api.AccessWrite, "admin": api.AccessAdmin}

// LoadPolicy reads and checks a policy file: an unknown keyword or API name is an error at start,
// not a silent refusal later.
func LoadPolicy(path string) (*Policy, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var p Policy
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(p.Identities) == 0 {
		return nil, fmt.Errorf("%s: identities: none granted", path)
	}
	for id, g := range p.Identities {
		check := func(field string, entries []string) error {
			for _, e := range entries {
				if _, ok := keywords[e]; ok || knownMethod(e) {
					continue
				}
				return fmt.Errorf("%s: identities.%s.%s: %q is neither an API method nor read, write or admin", path, id, field, e)
			}
			return nil
		}
		if err := check("cluster", g.Cluster); err != nil {
			return nil, err
		}
		for ns, entries := range g.Namespaces {
			if err := check("namespaces."+ns, entries); err != nil {
				return nil, err
			}
		}
	}
	return &p, nil
}

// knownMethod: a WorkflowService or OperatorService method. (The server answers any AdminService
// name as a cluster admin API, so those are granted with "admin", not by name.)
func knownMethod(name string) bool {
	for _, prefix := range []string{api.WorkflowServicePrefix, api.OperatorServicePrefix} {
		if api.GetMethodMetadata(prefix+name).Scope != api.ScopeUnknown {
			return true
		}
	}
	return false
}

// certificateClaimMapper names the caller by its client certificate's common name.
type certificateClaimMapper struct{}

func (certificateClaimMapper) GetClaims(info *authorization.AuthInfo) (*authorization.Claims, error) {
	if info == nil || info.TLSSubject == nil || info.TLSSubject.CommonName == "" {
		return nil, nil
	}
	return &authorization.Claims{Subject: info.TLSSubject.CommonName, AuthType: "certificate"}, nil
}

// policyAuthorizer allows a call when the caller's identity is granted its method, or an access
// keyword that covers it, in the call's scope.
type policyAuthorizer struct {
	policy *Policy
	log    func(identity, method, namespace string)
}

func (a policyAuthorizer) Authorize(_ context.Context, claims *authorization.Claims, target *authorization.CallTarget) (authorization.Result, error) {
	if authorization.IsHealthCheckAPI(target.APIName) {
		return authorization.Result{Decision: authorization.DecisionAllow}, nil
	}
	// The server's own internal frontend (system workflows) carries its own claims.
	if claims != nil && claims.System == authorization.RoleAdmin && claims.AuthType == "temporal" {
		return authorization.Result{Decision: authorization.DecisionAllow}, nil
	}
	identity := ""
	if claims != nil {
		identity = claims.Subject
	}
	method := api.MethodName(target.APIName)
	if grants, ok := a.policy.Identities[identity]; ok && identity != "" {
		meta := api.GetMethodMetadata(target.APIName)
		var entries []string
		switch meta.Scope {
		case api.ScopeCluster:
			entries = grants.Cluster
		case api.ScopeNamespace:
			entries = append(append([]string{}, grants.Namespaces[target.Namespace]...), grants.Namespaces["*"]...)
		}
		if allows(entries, method, meta.Access) {
			return authorization.Result{Decision: authorization.DecisionAllow}, nil
		}
	}
	a.log(identity, method, target.Namespace)
	return authorization.Result{
		Decision: authorization.DecisionDeny,
		Reason:   fmt.Sprintf("identity %q may not call %s in namespace %q", identity, method, target.Namespace),
	}, nil
}

func allows(entries []string, method string, access api.Access) bool {
	for _, e := range entries {
		if e == method {
			return true
		}
		if level, ok := keywords[e]; ok && access != api.AccessUnknown && access <= level {
			return true
		}
	}
	return false
}

// identityNames returns the policy's identities, sorted (for the start-up log line).
func (p *Policy) identityNames() []string {
	names := make([]string, 0, len(p.Identities))
	for n := range p.Identities {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
