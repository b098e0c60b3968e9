package fakeaws

import (
	"fmt"
	"strings"
	"testing"
)

// TestAssumeRoleRequestPrintsNoSecret: the root tests' failure messages
// print what STS received (t.Fatalf("AssumeRole request %+v",
// a.AssumeRoleRequest) and the like), and a request holds the caller's
// external ID and web identity token, which no output may hold, test
// failure messages included.
func TestAssumeRoleRequestPrintsNoSecret(t *testing.T) {
	const (
		externalID = "ext-id-secret-1"
		webToken   = "oidc-token-secret"
	)
	req := AssumeRoleRequest{Action: "AssumeRoleWithWebIdentity", RoleARN: "arn:aws:iam::123456789012:role/r",
		SessionName: "s", ExternalID: externalID, WebIdentityToken: webToken}
	a := Assumption{AssumeRoleRequest: req, AccessKeyID: "ASIAX"}
	for _, v := range []any{req, a, &req, &a} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
			out := fmt.Sprintf(verb, v)
			for _, s := range []struct{ name, value string }{{"external ID", externalID}, {"web identity token", webToken}} {
				if strings.Contains(out, s.value) {
					t.Errorf("%T under %s prints the %s", v, verb, s.name)
				}
			}
		}
	}
}
